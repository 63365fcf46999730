package main

import (
	"fmt"

	"github.com/hermetic-chain/hermetic/contract"
)

// loadStream returns the organisation's stream and its head, or
// errNotFound.
func loadStream(s contract.Storage, orgID, streamID string) (Stream, head, error) {
	st, found, err := streams.MayLoad(s, orgKey(orgID, streamID))
	if err != nil {
		return Stream{}, head{}, fmt.Errorf("stream %s: %w", streamID, err)
	}
	if !found {
		return Stream{}, head{}, fmt.Errorf("%w: no stream %s in organisation %s", errNotFound, streamID, orgID)
	}
	h, found, err := loadHead(s, orgID, streamID)
	if err != nil {
		return Stream{}, head{}, err
	}
	if !found {
		return Stream{}, head{}, fmt.Errorf("stream %s: no head", streamID)
	}
	return st, h, nil
}

func executeCreateStream(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	m, o, err := decodeAsAdmin[createStreamMsg](deps, "create_stream", body, sender)
	if err != nil {
		return nil, err
	}
	if err := validateStream(m); err != nil {
		return nil, err
	}
	if _, err := loadDevice(deps.Storage, o.ID, m.DeviceID); err != nil {
		return nil, err
	}
	if streams.Has(deps.Storage, orgKey(o.ID, m.StreamID)) {
		return nil, fmt.Errorf("%w stream_id: stream %s already exists in organisation %s", errInvalid, m.StreamID, o.ID)
	}
	now, err := blockTime(env)
	if err != nil {
		return nil, err
	}
	st := Stream{
		ID: m.StreamID, DeviceID: m.DeviceID, Name: m.Name, Values: m.Values,
		SamplingNote: m.SamplingNote, CreatedAt: now,
	}
	if err := streams.Save(deps.Storage, orgKey(o.ID, st.ID), st); err != nil {
		return nil, err
	}
	saveHead(deps.Storage, o.ID, st.ID, head{})
	return st, nil
}

func validateStream(m createStreamMsg) error {
	if err := validateID("stream_id", m.StreamID); err != nil {
		return err
	}
	if err := validateID("device_id", m.DeviceID); err != nil {
		return err
	}
	if err := validateText("name", m.Name, 1, maxNameLen); err != nil {
		return err
	}
	if err := validateText("sampling_note", m.SamplingNote, 0, maxNoteLen); err != nil {
		return err
	}
	return validateValues(m.Values)
}

// executeAnchorBatch anchors the next batch of a stream. Who may anchor is
// checked before the stream is looked up, so an account that is not a
// gateway of the organisation learns nothing of its streams.
func executeAnchorBatch(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	var m anchorBatchMsg
	if err := decode("anchor_batch", body, &m); err != nil {
		return nil, err
	}
	if err := validateOrgID(m.OrgID); err != nil {
		return nil, err
	}
	if !isGateway(deps.Storage, m.OrgID, sender) {
		return nil, fmt.Errorf("%w: %s is not a gateway of organisation %s", errUnauthorized, sender, m.OrgID)
	}
	if err := validateID("stream_id", m.StreamID); err != nil {
		return nil, err
	}
	st, h, err := loadStream(deps.Storage, m.OrgID, m.StreamID)
	if err != nil {
		return nil, err
	}
	a, keys, err := newAnchor(deps, env, sender, st, m)
	if err != nil {
		return nil, err
	}
	if err := checkSequence(st.ID, h, a); err != nil {
		return nil, err
	}
	k := batchKey(m.OrgID, st.ID, a.Batch)
	if err := anchors.Save(deps.Storage, k, a); err != nil {
		return nil, err
	}
	if err := batchKeys.Save(deps.Storage, k, keys); err != nil {
		return nil, err
	}
	saveHead(deps.Storage, m.OrgID, st.ID, head{LastBatch: a.Batch, LastSeq: a.LastSeq})
	return map[string]any{"stream_id": st.ID, "batch": a.Batch, "last_seq": a.LastSeq}, nil
}

// newAnchor checks the anchor's own fields (not its place in the stream)
// and returns the anchor and keys to store.
func newAnchor(deps contract.Deps, env contract.Env, gateway string, st Stream, m anchorBatchMsg) (Anchor, BatchKeys, error) {
	root, err := parseHash32("merkle_root", m.MerkleRoot)
	if err != nil {
		return Anchor{}, BatchKeys{}, err
	}
	sum, err := parseHash32("object_sha256", m.ObjectSHA256)
	if err != nil {
		return Anchor{}, BatchKeys{}, err
	}
	if err := validateText("location", m.Location, 1, maxLocationLen); err != nil {
		return Anchor{}, BatchKeys{}, err
	}
	if m.LastSeq < m.FirstSeq {
		return Anchor{}, BatchKeys{}, fmt.Errorf("%w: stream %s batch %d: last_seq %d is before first_seq %d", errAnchor, st.ID, m.Batch, m.LastSeq, m.FirstSeq)
	}
	if m.RecordCount != m.LastSeq-m.FirstSeq+1 {
		return Anchor{}, BatchKeys{}, fmt.Errorf("%w: stream %s batch %d: record_count %d, but sequence numbers %d to %d are %d records",
			errAnchor, st.ID, m.Batch, m.RecordCount, m.FirstSeq, m.LastSeq, m.LastSeq-m.FirstSeq+1)
	}
	if m.LastSourceTime < m.FirstSourceTime {
		return Anchor{}, BatchKeys{}, fmt.Errorf("%w: stream %s batch %d: last_source_time %d is before first_source_time %d", errAnchor, st.ID, m.Batch, m.LastSourceTime, m.FirstSourceTime)
	}
	keys, err := newBatchKeys(st, m)
	if err != nil {
		return Anchor{}, BatchKeys{}, err
	}
	now, err := blockTime(env)
	if err != nil {
		return Anchor{}, BatchKeys{}, err
	}
	return Anchor{
		Batch: m.Batch, MerkleRoot: root, RecordCount: m.RecordCount, FirstSeq: m.FirstSeq, LastSeq: m.LastSeq,
		FirstSourceTime: m.FirstSourceTime, LastSourceTime: m.LastSourceTime, Location: m.Location,
		ObjectSHA256: sum, Gateway: gateway, AnchoredAt: now, Height: env.Block.Height,
	}, keys, nil
}

// newBatchKeys checks the batch key and the value keys: each of a value of
// the stream's schema, at most once.
func newBatchKeys(st Stream, m anchorBatchMsg) (BatchKeys, error) {
	if err := validateSecretKey("batch_key", m.BatchKey); err != nil {
		return BatchKeys{}, err
	}
	for i, vk := range m.ValueKeys {
		if !st.hasValue(vk.Name) {
			return BatchKeys{}, fmt.Errorf("%w value_keys[%d]: stream %s has no value %q", errInvalid, i, st.ID, vk.Name)
		}
		for _, o := range m.ValueKeys[:i] {
			if o.Name == vk.Name {
				return BatchKeys{}, fmt.Errorf("%w value_keys[%d]: %q appears twice", errInvalid, i, vk.Name)
			}
		}
		if err := validateSecretKey(fmt.Sprintf("value_keys[%d].key", i), vk.Key); err != nil {
			return BatchKeys{}, err
		}
	}
	return BatchKeys{BatchKey: m.BatchKey, ValueKeys: m.ValueKeys}, nil
}

// checkSequence checks that a comes right after the stream's head: batch
// numbers from 1 without gaps, and sequence numbers from 1, each batch
// starting right after the last anchored one.
func checkSequence(streamID string, h head, a Anchor) error {
	if h.Shredded {
		return fmt.Errorf("%w: stream %s is shredded; it takes no more anchors", errAnchor, streamID)
	}
	next := h.LastBatch + 1
	switch {
	case a.Batch < next:
		return fmt.Errorf("%w: stream %s batch %d is already anchored (the next batch is %d)", errAnchor, streamID, a.Batch, next)
	case a.Batch > next:
		return fmt.Errorf("%w: stream %s batch %d is out of order: the next batch is %d", errAnchor, streamID, a.Batch, next)
	}
	nextSeq := h.LastSeq + 1
	switch {
	case a.FirstSeq < nextSeq:
		return fmt.Errorf("%w: stream %s batch %d overlaps: sequence numbers %d to %d, but %d is already anchored (the next is %d)",
			errAnchor, streamID, a.Batch, a.FirstSeq, a.LastSeq, h.LastSeq, nextSeq)
	case a.FirstSeq > nextSeq:
		return fmt.Errorf("%w: stream %s batch %d skips sequence numbers %d to %d: it must start at %d",
			errAnchor, streamID, a.Batch, nextSeq, a.FirstSeq-1, nextSeq)
	}
	return nil
}

func executeShredBatches(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	m, o, err := decodeAsAdmin[shredBatchesMsg](deps, "shred_batches", body, sender)
	if err != nil {
		return nil, err
	}
	_, h, err := loadStream(deps.Storage, o.ID, m.StreamID)
	if err != nil {
		return nil, err
	}
	if m.FromBatch < 1 || m.ToBatch < m.FromBatch || m.ToBatch > h.LastBatch {
		return nil, fmt.Errorf("%w: stream %s batches %d to %d: want 1 <= from_batch <= to_batch <= %d (the last anchored batch)",
			errInvalid, m.StreamID, m.FromBatch, m.ToBatch, h.LastBatch)
	}
	if m.ToBatch-m.FromBatch >= maxShredBatch {
		return nil, fmt.Errorf("%w: stream %s batches %d to %d: at most %d batches a message", errInvalid, m.StreamID, m.FromBatch, m.ToBatch, maxShredBatch)
	}
	n, _ := shredKeys(deps.Storage, o.ID, m.StreamID, m.FromBatch, m.ToBatch+1, maxShredBatch)
	return ShredAnswer{StreamID: m.StreamID, KeysDeleted: n}, nil
}

// executeShredStream closes a stream for good: it takes no more anchors and
// releases no more keys, from this message on; and it deletes up to
// maxShredBatch of its keys, the rest by sending it again (more_keys says
// whether any are left).
func executeShredStream(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	m, o, err := decodeAsAdmin[shredStreamMsg](deps, "shred_stream", body, sender)
	if err != nil {
		return nil, err
	}
	_, h, err := loadStream(deps.Storage, o.ID, m.StreamID)
	if err != nil {
		return nil, err
	}
	h.Shredded = true
	saveHead(deps.Storage, o.ID, m.StreamID, h)
	n, more := shredKeys(deps.Storage, o.ID, m.StreamID, 1, h.LastBatch+1, maxShredBatch)
	return ShredAnswer{StreamID: m.StreamID, KeysDeleted: n, MoreKeys: more}, nil
}

// shredKeys deletes the keys of batches [from, to) of a stream that are
// still there, at most limit of them, and returns how many it deleted and
// whether any are left in the range.
func shredKeys(s contract.Storage, orgID, streamID string, from, to, limit uint64) (deleted uint64, more bool) {
	start, end := batchKey(orgID, streamID, from), batchKey(orgID, streamID, to)
	var found []string
	for k := range batchKeys.Keys(s, &start, &end, contract.Ascending) {
		if uint64(len(found)) == limit {
			more = true
			break
		}
		found = append(found, k)
	}
	for _, k := range found { // collected first: no writes while ranging
		batchKeys.Remove(s, k)
	}
	return uint64(len(found)), more
}
