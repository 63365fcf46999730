package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hermetic-chain/hermetic/contract"
)

// Time is a point in time in nanoseconds since the Unix epoch, written in
// JSON as a decimal string, as cosmwasm-std's Timestamp and Env.Block.Time
// are.
type Time uint64

// MarshalJSON writes t as a decimal string.
func (t Time) MarshalJSON() ([]byte, error) {
	b := append([]byte{'"'}, strconv.FormatUint(uint64(t), 10)...)
	return append(b, '"'), nil
}

// UnmarshalJSON reads a decimal string of nanoseconds.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time: want a decimal string of nanoseconds: %w", err)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("time %q: want a decimal string of nanoseconds", s)
	}
	*t = Time(n)
	return nil
}

// blockTime is the block's time.
func blockTime(env contract.Env) (Time, error) {
	n, err := strconv.ParseUint(env.Block.Time, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("block time %q: %w", env.Block.Time, err)
	}
	return Time(n), nil
}

// Org is an organisation (a tenant): its admins, sorted, and who made it.
type Org struct {
	ID        string   `json:"org_id"`
	Name      string   `json:"name"`
	Creator   string   `json:"creator"`
	Admins    []string `json:"admins"`
	CreatedAt Time     `json:"created_at"`
}

// Gateway is an account an organisation lets anchor batches.
type Gateway struct {
	Address string `json:"address"`
	AddedBy string `json:"added_by"`
	AddedAt Time   `json:"added_at"`
}

// DeviceKey is one public key of a device and when it is valid:
// [ValidFrom, ValidUntil), ValidUntil nil for open-ended (the current key).
type DeviceKey struct {
	Type       string `json:"type"`
	PublicKey  []byte `json:"public_key"`
	ValidFrom  Time   `json:"valid_from"`
	ValidUntil *Time  `json:"valid_until"`
}

// Device is a registered device with its key history, oldest first, and
// the time from which it is revoked, if it is.
type Device struct {
	ID           string      `json:"device_id"`
	Name         string      `json:"name"`
	Keys         []DeviceKey `json:"keys"`
	RegisteredAt Time        `json:"registered_at"`
	RevokedAt    *Time       `json:"revoked_at"`
}

// ValueSchema is a value a stream's records carry and its unit.
type ValueSchema struct {
	Name string `json:"name"`
	Unit string `json:"unit"`
}

// Stream is a device's stream of records, anchored batch by batch.
type Stream struct {
	ID           string        `json:"stream_id"`
	DeviceID     string        `json:"device_id"`
	Name         string        `json:"name"`
	Values       []ValueSchema `json:"values"`
	SamplingNote string        `json:"sampling_note"`
	CreatedAt    Time          `json:"created_at"`
}

// Anchor is one anchored batch of a stream. MerkleRoot and ObjectSHA256
// are hex.
type Anchor struct {
	Batch           uint64 `json:"batch"`
	MerkleRoot      string `json:"merkle_root"`
	RecordCount     uint64 `json:"record_count"`
	FirstSeq        uint64 `json:"first_seq"`
	LastSeq         uint64 `json:"last_seq"`
	FirstSourceTime Time   `json:"first_source_time"`
	LastSourceTime  Time   `json:"last_source_time"`
	Location        string `json:"location"`
	ObjectSHA256    string `json:"object_sha256"`
	Gateway         string `json:"gateway"`
	AnchoredAt      Time   `json:"anchored_at"`
	Height          uint64 `json:"height"`
}

// ValueKey is the key of one value's column of a batch.
type ValueKey struct {
	Name string `json:"name"`
	Key  []byte `json:"key"`
}

// BatchKeys is what decrypts a batch: its key, and the keys of its value
// columns if the gateway encrypted them apart.
type BatchKeys struct {
	BatchKey  []byte     `json:"batch_key"`
	ValueKeys []ValueKey `json:"value_keys,omitempty"`
}

// Grant lets Grantee have the keys of a stream's batches whose source
// times lie in [From, To), all values or only Values.
type Grant struct {
	ID        uint64   `json:"grant_id"`
	OrgID     string   `json:"org_id"`
	Grantee   string   `json:"grantee"`
	StreamID  string   `json:"stream_id"`
	Values    []string `json:"values"`
	From      Time     `json:"from"`
	To        Time     `json:"to"`
	GrantedBy string   `json:"granted_by"`
	GrantedAt Time     `json:"granted_at"`
	RevokedBy string   `json:"revoked_by,omitempty"`
	RevokedAt *Time    `json:"revoked_at"`
}

// head is a stream's anchoring position: the last batch and sequence
// number anchored (0 for none) and whether the stream is shredded. It is
// stored as 17 bytes, not JSON: every anchor reads and writes it.
type head struct {
	LastBatch uint64
	LastSeq   uint64
	Shredded  bool
}

const headSize = 17

var (
	orgs       = contract.NewMap[string, Org]("orgs")             // org id
	gateways   = contract.NewMap[string, Gateway]("gateways")     // lp(org) ‖ address
	devices    = contract.NewMap[string, Device]("devices")       // lp(org) ‖ device id
	streams    = contract.NewMap[string, Stream]("streams")       // lp(org) ‖ stream id
	heads      = contract.NewMap[string, []byte]("stream_heads")  // lp(org) ‖ stream id: head, raw
	anchors    = contract.NewMap[string, Anchor]("anchors")       // lp(org) ‖ lp(stream) ‖ u64(batch)
	batchKeys  = contract.NewMap[string, BatchKeys]("batch_keys") // as anchors
	grants     = contract.NewMap[string, Grant]("grants")         // lp(org) ‖ u64(grant id)
	grantCount = contract.NewMap[string, uint64]("grant_count")   // org id: the last grant id
	// granteeGrants indexes grants by grantee: lp(grantee) ‖ lp(org) ‖
	// u64(grant id), value true.
	granteeGrants = contract.NewMap[string, bool]("grantee_grants")
)

// lp is s prefixed with its length, so that a key part is never a prefix
// of another. Every part the contract stores is an address or an id of at
// most 255 bytes (ids are at most 64, validated).
func lp(s string) string {
	if len(s) > 255 {
		panic(fmt.Sprintf("key part of %d bytes", len(s))) // unreachable: validated
	}
	return string([]byte{byte(len(s))}) + s
}

func orgKey(orgID, id string) string { return lp(orgID) + id }

func batchKey(orgID, streamID string, batch uint64) string {
	return lp(orgID) + lp(streamID) + contract.U64Key(batch)
}

func grantKey(orgID string, id uint64) string { return lp(orgID) + contract.U64Key(id) }

func granteeKey(grantee, orgID string, id uint64) string {
	return lp(grantee) + lp(orgID) + contract.U64Key(id)
}

// prefixEnd is the end of a range over the keys starting with prefix.
func prefixEnd(prefix string) string { return string(contract.PrefixEnd([]byte(prefix))) }

func loadHead(s contract.Storage, orgID, streamID string) (head, bool, error) {
	b := s.Get(heads.Key(orgKey(orgID, streamID)))
	if b == nil {
		return head{}, false, nil
	}
	if len(b) != headSize {
		return head{}, false, fmt.Errorf("stream %s: corrupt head of %d bytes", streamID, len(b))
	}
	return head{
		LastBatch: binary.BigEndian.Uint64(b),
		LastSeq:   binary.BigEndian.Uint64(b[8:]),
		Shredded:  b[16] == 1,
	}, true, nil
}

func saveHead(s contract.Storage, orgID, streamID string, h head) {
	b := make([]byte, headSize)
	binary.BigEndian.PutUint64(b, h.LastBatch)
	binary.BigEndian.PutUint64(b[8:], h.LastSeq)
	if h.Shredded {
		b[16] = 1
	}
	s.Set(heads.Key(orgKey(orgID, streamID)), b)
}

// nextGrantID counts the organisation's grants and returns the new one's id.
func nextGrantID(s contract.Storage, orgID string) (uint64, error) {
	n, _, err := grantCount.MayLoad(s, orgID)
	if err != nil {
		return 0, fmt.Errorf("grant count of %s: %w", orgID, err)
	}
	n++
	return n, grantCount.Save(s, orgID, n)
}

// accessOwner is the owner under which an organisation's access records are
// kept by the SDK's access log (contract.RecordAccess).
func accessOwner(orgID string) string { return "org:" + orgID }
