package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hermetic-chain/hermetic/contract"
)

// Auth and scope of the access records of key releases.
const (
	authGrant   = "grant:"  // followed by the grant id
	scopeStream = "stream:" // followed by the stream id
)

func executeGrantRead(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	m, o, err := decodeAsAdmin[grantReadMsg](deps, "grant_read", body, sender)
	if err != nil {
		return nil, err
	}
	grantee, err := address(deps, "grantee", m.Grantee)
	if err != nil {
		return nil, err
	}
	if m.From >= m.To {
		return nil, fmt.Errorf("%w: window [%d, %d): from must be before to", errInvalid, m.From, m.To)
	}
	st, _, err := loadStream(deps.Storage, o.ID, m.StreamID)
	if err != nil {
		return nil, err
	}
	if err := validateGrantValues(st, m.Values); err != nil {
		return nil, err
	}
	now, err := blockTime(env)
	if err != nil {
		return nil, err
	}
	id, err := nextGrantID(deps.Storage, o.ID)
	if err != nil {
		return nil, err
	}
	g := Grant{
		ID: id, OrgID: o.ID, Grantee: grantee, StreamID: st.ID, Values: m.Values,
		From: m.From, To: m.To, GrantedBy: sender, GrantedAt: now,
	}
	if g.Values == nil {
		g.Values = []string{}
	}
	if err := grants.Save(deps.Storage, grantKey(o.ID, id), g); err != nil {
		return nil, err
	}
	return g, granteeGrants.Save(deps.Storage, granteeKey(grantee, o.ID, id), true)
}

// validateGrantValues checks that a grant's values are distinct values of
// the stream (none: every value).
func validateGrantValues(st Stream, values []string) error {
	for i, v := range values {
		if !st.hasValue(v) {
			return fmt.Errorf("%w values[%d]: stream %s has no value %q", errInvalid, i, st.ID, v)
		}
		for _, o := range values[:i] {
			if o == v {
				return fmt.Errorf("%w values[%d]: %q appears twice", errInvalid, i, v)
			}
		}
	}
	return nil
}

// loadGrant returns the organisation's grant, or errNotFound.
func loadGrant(s contract.Storage, orgID string, id uint64) (Grant, error) {
	g, found, err := grants.MayLoad(s, grantKey(orgID, id))
	if err != nil {
		return Grant{}, fmt.Errorf("grant %d: %w", id, err)
	}
	if !found {
		return Grant{}, fmt.Errorf("%w: no grant %d in organisation %s", errNotFound, id, orgID)
	}
	return g, nil
}

func executeRevokeGrant(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	m, o, err := decodeAsAdmin[revokeGrantMsg](deps, "revoke_grant", body, sender)
	if err != nil {
		return nil, err
	}
	g, err := loadGrant(deps.Storage, o.ID, m.GrantID)
	if err != nil {
		return nil, err
	}
	if g.RevokedAt != nil {
		return nil, fmt.Errorf("%w: grant %d is already revoked (at %d)", errInvalid, g.ID, *g.RevokedAt)
	}
	now, err := blockTime(env)
	if err != nil {
		return nil, err
	}
	g.RevokedAt, g.RevokedBy = &now, sender
	return g, grants.Save(deps.Storage, grantKey(o.ID, g.ID), g)
}

// loadOwnGrant returns grant id of the organisation if who holds it. A
// grant that does not exist gets the same refusal as another's.
func loadOwnGrant(s contract.Storage, orgID string, id uint64, who string) (Grant, error) {
	if err := validateOrgID(orgID); err != nil {
		return Grant{}, err
	}
	g, found, err := grants.MayLoad(s, grantKey(orgID, id))
	if err != nil {
		return Grant{}, fmt.Errorf("grant %d: %w", id, err)
	}
	if !found || g.Grantee != who {
		return Grant{}, fmt.Errorf("%w: %s holds no grant %d of organisation %s", errUnauthorized, who, id, orgID)
	}
	return g, nil
}

// executeReleaseKeys gives a grantee the keys of batches from_batch to
// to_batch of the granted stream. Every batch must lie in the grant's
// window and still have its key, or nothing is released; a release leaves
// an access record in the organisation's log.
func executeReleaseKeys(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	var m releaseKeysMsg
	if err := decode("release_keys", body, &m); err != nil {
		return nil, err
	}
	g, err := loadOwnGrant(deps.Storage, m.OrgID, m.GrantID, sender)
	if err != nil {
		return nil, err
	}
	if err := checkRelease(deps.Storage, g, m); err != nil {
		return nil, err
	}
	batches := make([]ReleasedBatch, 0, m.ToBatch-m.FromBatch+1)
	for b := m.FromBatch; b <= m.ToBatch; b++ {
		rb, err := releaseBatch(deps.Storage, g, b)
		if err != nil {
			return nil, err
		}
		batches = append(batches, rb)
	}
	answer := ReleaseAnswer{GrantID: g.ID, StreamID: g.StreamID, Batches: batches}
	b, err := json.Marshal(map[string]ReleaseAnswer{"release_keys": answer})
	if err != nil {
		return nil, fmt.Errorf("encode answer: %w", err)
	}
	if _, err := contract.RecordAccess(deps, env, contract.AccessRecord{
		Reader: sender, Owner: accessOwner(g.OrgID), Auth: authGrant + fmt.Sprint(g.ID),
		Scope: scopeStream + g.StreamID, Data: releaseData(g, m),
	}, b); err != nil {
		return nil, err
	}
	return answer, nil
}

// checkRelease checks the grant and the range before any batch is read.
func checkRelease(s contract.Storage, g Grant, m releaseKeysMsg) error {
	if g.RevokedAt != nil {
		return fmt.Errorf("%w: grant %d was revoked at %d", errRelease, g.ID, *g.RevokedAt)
	}
	if g.StreamID != m.StreamID {
		return fmt.Errorf("%w: grant %d is for stream %s, not %s", errRelease, g.ID, g.StreamID, m.StreamID)
	}
	_, h, err := loadStream(s, g.OrgID, g.StreamID)
	if err != nil {
		return err
	}
	if h.Shredded {
		return fmt.Errorf("%w: stream %s is shredded: its keys are deleted", errRelease, g.StreamID)
	}
	if m.FromBatch < 1 || m.ToBatch < m.FromBatch || m.ToBatch > h.LastBatch {
		return fmt.Errorf("%w: stream %s batches %d to %d: want 1 <= from_batch <= to_batch <= %d (the last anchored batch)",
			errRelease, g.StreamID, m.FromBatch, m.ToBatch, h.LastBatch)
	}
	if m.ToBatch-m.FromBatch >= maxReleaseBatch {
		return fmt.Errorf("%w: stream %s batches %d to %d: at most %d batches a release", errRelease, g.StreamID, m.FromBatch, m.ToBatch, maxReleaseBatch)
	}
	return nil
}

// releaseBatch is batch b's anchor and the keys g allows: the batch key for
// a grant of every value, else the keys of the granted values, which the
// batch must have.
func releaseBatch(s contract.Storage, g Grant, b uint64) (ReleasedBatch, error) {
	k := batchKey(g.OrgID, g.StreamID, b)
	a, err := anchors.Load(s, k)
	if err != nil {
		return ReleasedBatch{}, fmt.Errorf("stream %s batch %d: %w", g.StreamID, b, err)
	}
	if a.FirstSourceTime < g.From || a.LastSourceTime >= g.To {
		return ReleasedBatch{}, fmt.Errorf("%w: stream %s batch %d (source time %d to %d) is outside grant %d's window [%d, %d)",
			errRelease, g.StreamID, b, a.FirstSourceTime, a.LastSourceTime, g.ID, g.From, g.To)
	}
	keys, found, err := batchKeys.MayLoad(s, k)
	if err != nil {
		return ReleasedBatch{}, fmt.Errorf("stream %s batch %d keys: %w", g.StreamID, b, err)
	}
	if !found {
		return ReleasedBatch{}, fmt.Errorf("%w: stream %s batch %d is shredded: its key is deleted", errRelease, g.StreamID, b)
	}
	if len(g.Values) == 0 {
		return ReleasedBatch{Anchor: a, BatchKey: keys.BatchKey}, nil
	}
	out := ReleasedBatch{Anchor: a}
	for _, v := range g.Values {
		vk, ok := findValueKey(keys.ValueKeys, v)
		if !ok {
			return ReleasedBatch{}, fmt.Errorf("%w: stream %s batch %d has no key of value %q alone, and grant %d is for some values only",
				errRelease, g.StreamID, b, v, g.ID)
		}
		out.ValueKeys = append(out.ValueKeys, vk)
	}
	return out, nil
}

func findValueKey(keys []ValueKey, name string) (ValueKey, bool) {
	for _, k := range keys {
		if k.Name == name {
			return k, true
		}
	}
	return ValueKey{}, false
}

// releaseData says in an access record what a release read.
func releaseData(g Grant, m releaseKeysMsg) string {
	values := "all values"
	if len(g.Values) > 0 {
		values = "values " + strings.Join(g.Values, ",")
	}
	return fmt.Sprintf("release_keys stream %s batches %d to %d, %s", g.StreamID, m.FromBatch, m.ToBatch, values)
}
