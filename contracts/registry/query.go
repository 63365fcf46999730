package main

import (
	"encoding/json"
	"fmt"
	"iter"
	"math"

	"github.com/hermetic-chain/hermetic/contract"
)

// Page sizes of the list queries.
const (
	defaultLimit = 10
	maxLimit     = 100
)

// queryHandler answers one query; every query but none is authenticated.
type queryHandler func(deps contract.Deps, env contract.Env, name string, body []byte) (any, error)

var queryHandlers map[string]queryHandler

func init() {
	queryHandlers = map[string]queryHandler{
		"org_info":       queryOrgInfo,
		"devices":        queryList(devices),
		"gateways":       queryList(gateways),
		"streams":        queryStreams,
		"anchors":        queryAnchors,
		"grants":         queryGrants,
		"access_records": queryAccessRecords,
		"my_grants":      queryMyGrants,
		"device_key_at":  queryDeviceKeyAt,
	}
}

func query(deps contract.Deps, env contract.Env, msg []byte) ([]byte, error) {
	name, body, err := contract.Variant(msg)
	if err != nil {
		return nil, fmt.Errorf("%w query: %v", errInvalid, err)
	}
	h, ok := queryHandlers[name]
	if !ok {
		return nil, fmt.Errorf("%w query: unknown query %q", errInvalid, name)
	}
	answer, err := h(deps, env, name, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b, err := json.Marshal(map[string]any{name: answer})
	if err != nil {
		return nil, fmt.Errorf("encode %s answer: %w", name, err)
	}
	return contract.Pad(b, padBlock), nil
}

// authenticate returns the reader a query's auth proves: the address of a
// viewing key, or the signer of a permit granting permission (the query's
// name).
func authenticate(deps contract.Deps, env contract.Env, a Auth, permission string) (string, error) {
	switch {
	case a.ViewingKey != nil && a.Permit == nil:
		who, err := address(deps, "auth.viewing_key.address", a.ViewingKey.Address)
		if err != nil {
			return "", err
		}
		if err := contract.CheckViewingKey(deps, who, a.ViewingKey.Key); err != nil {
			return "", fmt.Errorf("%w: %w", errUnauthorized, err)
		}
		return who, nil
	case a.Permit != nil && a.ViewingKey == nil:
		signer, err := contract.VerifyPermit(deps, env, env.Contract.Address, *a.Permit, permission)
		if err != nil {
			return "", fmt.Errorf("%w: %w", errUnauthorized, err)
		}
		return address(deps, "permit signer", signer)
	}
	return "", fmt.Errorf("%w auth: give exactly one of viewing_key and permit", errInvalid)
}

// canRead checks that reader is an admin of the organisation, or one of
// its gateways if gatewayToo. A missing organisation is refused alike.
func canRead(deps contract.Deps, orgID, reader string, gatewayToo bool) error {
	if err := validateOrgID(orgID); err != nil {
		return err
	}
	if gatewayToo && isGateway(deps.Storage, orgID, reader) {
		return nil
	}
	if _, err := loadOrgAsAdmin(deps, orgID, reader); err != nil {
		return fmt.Errorf("%w: %s may not read this of organisation %s", errUnauthorized, reader, orgID)
	}
	return nil
}

// limit is a page size: 0 means def, more than max is refused.
func limit(n uint32, def uint32) (int, error) {
	if n == 0 {
		n = def
	}
	if n > maxLimit {
		return 0, fmt.Errorf("%w limit: %d is over %d", errInvalid, n, maxLimit)
	}
	return int(n), nil
}

// authQuery is a query message: it carries the Auth of its reader.
type authQuery interface{ auth() Auth }

// orgScopedQuery is a query of one organisation's data.
type orgScopedQuery interface {
	authQuery
	orgScoped
}

// decodeQuery decodes the body of query name into an M and authenticates
// its reader.
func decodeQuery[M authQuery](deps contract.Deps, env contract.Env, name string, body []byte) (M, string, error) {
	var m M
	if err := decode(name, body, &m); err != nil {
		return m, "", err
	}
	reader, err := authenticate(deps, env, m.auth(), name)
	return m, reader, err
}

// decodeOrgQuery decodes the body of query name into an M, authenticates
// its reader and checks that the reader may read the organisation's data
// (canRead: its admins, and its gateways too if gatewayToo).
func decodeOrgQuery[M orgScopedQuery](deps contract.Deps, env contract.Env, name string, body []byte, gatewayToo bool) (M, error) {
	m, reader, err := decodeQuery[M](deps, env, name, body)
	if err != nil {
		return m, err
	}
	return m, canRead(deps, m.org(), reader, gatewayToo)
}

func queryOrgInfo(deps contract.Deps, env contract.Env, name string, body []byte) (any, error) {
	m, err := decodeOrgQuery[orgQuery](deps, env, name, body, false)
	if err != nil {
		return nil, err
	}
	return orgs.Load(deps.Storage, m.OrgID)
}

// queryList answers a listQuery with a page of the organisation's entries
// of entries (devices, gateways), to its admins.
func queryList[V any](entries contract.Map[string, V]) queryHandler {
	return func(deps contract.Deps, env contract.Env, name string, body []byte) (any, error) {
		m, err := decodeOrgQuery[listQuery](deps, env, name, body, false)
		if err != nil {
			return nil, err
		}
		return listAfter(deps.Storage, entries, m.OrgID, m.StartAfter, m.Limit)
	}
}

// listAfter lists the organisation's entries of m whose id (the key after
// the organisation) is after startAfter, in id order.
func listAfter[V any](s contract.Storage, m contract.Map[string, V], orgID, startAfter string, n uint32) ([]V, error) {
	size, err := limit(n, defaultLimit)
	if err != nil {
		return nil, err
	}
	start, end := orgKey(orgID, startAfter), prefixEnd(lp(orgID))
	if startAfter != "" {
		start += "\x00"
	}
	return take(m.Range(s, &start, &end, contract.Ascending), size), nil
}

// take collects the values of seq, n at the most.
func take[K, V any](seq iter.Seq2[K, V], n int) []V {
	out := []V{}
	for _, v := range seq {
		if len(out) == n {
			break
		}
		out = append(out, v)
	}
	return out
}

func queryStreams(deps contract.Deps, env contract.Env, name string, body []byte) (any, error) {
	m, err := decodeOrgQuery[listQuery](deps, env, name, body, true)
	if err != nil {
		return nil, err
	}
	list, err := listAfter(deps.Storage, streams, m.OrgID, m.StartAfter, m.Limit)
	if err != nil {
		return nil, err
	}
	out := make([]StreamEntry, 0, len(list))
	for _, st := range list {
		h, _, err := loadHead(deps.Storage, m.OrgID, st.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, StreamEntry{Stream: st, LastBatch: h.LastBatch, LastSeq: h.LastSeq, Shredded: h.Shredded})
	}
	return out, nil
}

// queryAnchors lists a stream's anchors of batches start_batch to
// start_batch+limit-1, to the organisation's admins and gateways, or to a
// grantee naming its unrevoked grant of the stream, who sees only the
// batches within the grant's window.
func queryAnchors(deps contract.Deps, env contract.Env, name string, body []byte) (any, error) {
	m, reader, err := decodeQuery[anchorsQuery](deps, env, name, body)
	if err != nil {
		return nil, err
	}
	window, err := anchorsWindow(deps, reader, m)
	if err != nil {
		return nil, err
	}
	size, err := limit(m.Limit, defaultLimit)
	if err != nil {
		return nil, err
	}
	_, h, err := loadStream(deps.Storage, m.OrgID, m.StreamID)
	if err != nil {
		return nil, err
	}
	first := max(m.StartBatch, 1)
	out := AnchorsAnswer{StreamID: m.StreamID, Anchors: []AnchorEntry{}, LastBatch: h.LastBatch, LastSeq: h.LastSeq, Shredded: h.Shredded}
	start, end := batchKey(m.OrgID, m.StreamID, first), batchKey(m.OrgID, m.StreamID, math.MaxUint64)
	for k, a := range anchors.Range(deps.Storage, &start, &end, contract.Ascending) {
		if a.Batch >= first+uint64(size) {
			break
		}
		if window != nil && (a.FirstSourceTime < window.From || a.LastSourceTime >= window.To) {
			continue
		}
		out.Anchors = append(out.Anchors, AnchorEntry{Anchor: a, KeyShredded: !batchKeys.Has(deps.Storage, k)})
	}
	return out, nil
}

// anchorsWindow checks who may list anchors and returns the grant whose
// window limits what a grantee sees (nil for an admin or gateway).
func anchorsWindow(deps contract.Deps, reader string, m anchorsQuery) (*Grant, error) {
	if m.GrantID == nil {
		return nil, canRead(deps, m.OrgID, reader, true)
	}
	g, err := loadOwnGrant(deps.Storage, m.OrgID, *m.GrantID, reader)
	if err != nil {
		return nil, err
	}
	if g.RevokedAt != nil {
		return nil, fmt.Errorf("%w: grant %d was revoked at %d", errUnauthorized, g.ID, *g.RevokedAt)
	}
	if g.StreamID != m.StreamID {
		return nil, fmt.Errorf("%w: grant %d is for stream %s, not %s", errUnauthorized, g.ID, g.StreamID, m.StreamID)
	}
	return &g, nil
}

func queryGrants(deps contract.Deps, env contract.Env, name string, body []byte) (any, error) {
	m, err := decodeOrgQuery[grantsQuery](deps, env, name, body, false)
	if err != nil {
		return nil, err
	}
	size, err := limit(m.Limit, defaultLimit)
	if err != nil {
		return nil, err
	}
	if m.StartAfter == math.MaxUint64 {
		return []Grant{}, nil
	}
	start, end := grantKey(m.OrgID, m.StartAfter+1), prefixEnd(lp(m.OrgID))
	return take(grants.Range(deps.Storage, &start, &end, contract.Ascending), size), nil
}

func queryAccessRecords(deps contract.Deps, env contract.Env, name string, body []byte) (any, error) {
	m, err := decodeOrgQuery[accessRecordsQuery](deps, env, name, body, false)
	if err != nil {
		return nil, err
	}
	return contract.AccessRecords(deps.Storage, accessOwner(m.OrgID), m.Page, m.PageSize)
}

// queryMyGrants lists the reader's own grants, of every organisation, in
// the order of organisation id and grant id; page counts from 0.
func queryMyGrants(deps contract.Deps, env contract.Env, name string, body []byte) (any, error) {
	m, reader, err := decodeQuery[myGrantsQuery](deps, env, name, body)
	if err != nil {
		return nil, err
	}
	size, err := limit(m.Limit, defaultLimit)
	if err != nil {
		return nil, err
	}
	skip := uint64(m.Page) * uint64(size)
	start, end := lp(reader), prefixEnd(lp(reader))
	var keys []string
	for k := range granteeGrants.Keys(deps.Storage, &start, &end, contract.Ascending) {
		if skip > 0 {
			skip--
			continue
		}
		if len(keys) == size {
			break
		}
		keys = append(keys, k[len(start):])
	}
	out := []Grant{}
	for _, k := range keys {
		orgID := k[1 : 1+int(k[0])]
		id, err := contract.ParseU64Key(k[1+int(k[0]):])
		if err != nil {
			return nil, err
		}
		g, err := loadGrant(deps.Storage, orgID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// queryDeviceKeyAt answers which key of a device was valid at a time, to
// the organisation's admins and gateways and to anyone holding an unrevoked
// grant of one of the device's streams.
func queryDeviceKeyAt(deps contract.Deps, env contract.Env, name string, body []byte) (any, error) {
	m, reader, err := decodeQuery[deviceKeyAtQuery](deps, env, name, body)
	if err != nil {
		return nil, err
	}
	if err := validateOrgID(m.OrgID); err != nil {
		return nil, err
	}
	if err := canRead(deps, m.OrgID, reader, true); err != nil {
		if !holdsDeviceGrant(deps.Storage, reader, m.OrgID, m.DeviceID) {
			return nil, err
		}
	}
	d, err := loadDevice(deps.Storage, m.OrgID, m.DeviceID)
	if err != nil {
		return nil, err
	}
	k, why := d.keyAt(m.Time)
	return DeviceKeyAnswer{OrgID: m.OrgID, DeviceID: d.ID, Time: m.Time, Key: k, RevokedAt: d.RevokedAt, Reason: why}, nil
}

// holdsDeviceGrant reports whether who holds an unrevoked grant of the
// organisation for a stream of the device.
func holdsDeviceGrant(s contract.Storage, who, orgID, deviceID string) bool {
	start := lp(who) + lp(orgID)
	end := prefixEnd(start)
	var ids []uint64
	for k := range granteeGrants.Keys(s, &start, &end, contract.Ascending) {
		if id, err := contract.ParseU64Key(k[len(start):]); err == nil {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		g, err := loadGrant(s, orgID, id)
		if err != nil || g.RevokedAt != nil {
			continue
		}
		st, found, err := streams.MayLoad(s, orgKey(orgID, g.StreamID))
		if err == nil && found && st.DeviceID == deviceID {
			return true
		}
	}
	return false
}
