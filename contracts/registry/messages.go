package main

import (
	"github.com/hermetic-chain/hermetic/contract"
)

// The bodies of the execute and query messages (docs/registry.md shows
// their JSON). They are named so that init can warm encoding/json for them
// (contract.WarmJSON).

// InstantiateMsg is the instantiate message: prng_seed seeds the viewing
// keys create_viewing_key makes (secret and random, 32 bytes).
type InstantiateMsg struct {
	PrngSeed []byte `json:"prng_seed"`
}

type createViewingKeyMsg struct {
	Entropy string `json:"entropy"`
}

type setViewingKeyMsg struct {
	Key string `json:"key"`
}

type revokePermitMsg struct {
	PermitName string `json:"permit_name"`
}

type revokeAllPermitsMsg struct {
	Before *uint64 `json:"before"`
}

type createOrgMsg struct {
	Name string `json:"name"`
}

type adminMsg struct {
	OrgID string `json:"org_id"`
	Admin string `json:"admin"`
}

type gatewayMsg struct {
	OrgID   string `json:"org_id"`
	Gateway string `json:"gateway"`
}

// PublicKey is a device's public key as messages carry it (value base64).
type PublicKey struct {
	Type  string `json:"type"`
	Value []byte `json:"value"`
}

type registerDeviceMsg struct {
	OrgID    string    `json:"org_id"`
	DeviceID string    `json:"device_id"`
	Name     string    `json:"name"`
	Key      PublicKey `json:"key"`
}

type rotateDeviceKeyMsg struct {
	OrgID         string    `json:"org_id"`
	DeviceID      string    `json:"device_id"`
	Key           PublicKey `json:"key"`
	EffectiveFrom *Time     `json:"effective_from"`
}

type revokeDeviceMsg struct {
	OrgID         string `json:"org_id"`
	DeviceID      string `json:"device_id"`
	EffectiveFrom *Time  `json:"effective_from"`
}

type createStreamMsg struct {
	OrgID        string        `json:"org_id"`
	StreamID     string        `json:"stream_id"`
	DeviceID     string        `json:"device_id"`
	Name         string        `json:"name"`
	Values       []ValueSchema `json:"values"`
	SamplingNote string        `json:"sampling_note"`
}

type anchorBatchMsg struct {
	OrgID           string     `json:"org_id"`
	StreamID        string     `json:"stream_id"`
	Batch           uint64     `json:"batch"`
	MerkleRoot      string     `json:"merkle_root"`
	RecordCount     uint64     `json:"record_count"`
	FirstSeq        uint64     `json:"first_seq"`
	LastSeq         uint64     `json:"last_seq"`
	FirstSourceTime Time       `json:"first_source_time"`
	LastSourceTime  Time       `json:"last_source_time"`
	Location        string     `json:"location"`
	ObjectSHA256    string     `json:"object_sha256"`
	BatchKey        []byte     `json:"batch_key"`
	ValueKeys       []ValueKey `json:"value_keys"`
}

type grantReadMsg struct {
	OrgID    string   `json:"org_id"`
	Grantee  string   `json:"grantee"`
	StreamID string   `json:"stream_id"`
	Values   []string `json:"values"`
	From     Time     `json:"from"`
	To       Time     `json:"to"`
}

type revokeGrantMsg struct {
	OrgID   string `json:"org_id"`
	GrantID uint64 `json:"grant_id"`
}

type releaseKeysMsg struct {
	OrgID     string `json:"org_id"`
	StreamID  string `json:"stream_id"`
	GrantID   uint64 `json:"grant_id"`
	FromBatch uint64 `json:"from_batch"`
	ToBatch   uint64 `json:"to_batch"`
}

type shredBatchesMsg struct {
	OrgID     string `json:"org_id"`
	StreamID  string `json:"stream_id"`
	FromBatch uint64 `json:"from_batch"`
	ToBatch   uint64 `json:"to_batch"`
}

type shredStreamMsg struct {
	OrgID    string `json:"org_id"`
	StreamID string `json:"stream_id"`
}

// Auth authenticates a query: exactly one of a viewing key (with the
// address it belongs to) or a permit (whose signer is the reader).
type Auth struct {
	ViewingKey *ViewingKeyAuth  `json:"viewing_key,omitempty"`
	Permit     *contract.Permit `json:"permit,omitempty"`
}

// ViewingKeyAuth is an address and its viewing key.
type ViewingKeyAuth struct {
	Address string `json:"address"`
	Key     string `json:"key"`
}

type orgQuery struct {
	OrgID string `json:"org_id"`
	Auth  Auth   `json:"auth"`
}

type listQuery struct {
	OrgID      string `json:"org_id"`
	Auth       Auth   `json:"auth"`
	StartAfter string `json:"start_after"`
	Limit      uint32 `json:"limit"`
}

type anchorsQuery struct {
	OrgID      string  `json:"org_id"`
	StreamID   string  `json:"stream_id"`
	Auth       Auth    `json:"auth"`
	GrantID    *uint64 `json:"grant_id"`
	StartBatch uint64  `json:"start_batch"`
	Limit      uint32  `json:"limit"`
}

type grantsQuery struct {
	OrgID      string `json:"org_id"`
	Auth       Auth   `json:"auth"`
	StartAfter uint64 `json:"start_after"`
	Limit      uint32 `json:"limit"`
}

type accessRecordsQuery struct {
	OrgID    string `json:"org_id"`
	Auth     Auth   `json:"auth"`
	Page     uint32 `json:"page"`
	PageSize uint32 `json:"page_size"`
}

type myGrantsQuery struct {
	Auth  Auth   `json:"auth"`
	Page  uint32 `json:"page"`
	Limit uint32 `json:"limit"`
}

type deviceKeyAtQuery struct {
	OrgID    string `json:"org_id"`
	DeviceID string `json:"device_id"`
	Time     Time   `json:"time"`
	Auth     Auth   `json:"auth"`
}

// What the query handlers (decodeQuery, decodeOrgQuery) and the execute
// handlers about an organisation (decodeAsAdmin) read of their message.

func (m orgQuery) auth() Auth           { return m.Auth }
func (m listQuery) auth() Auth          { return m.Auth }
func (m anchorsQuery) auth() Auth       { return m.Auth }
func (m grantsQuery) auth() Auth        { return m.Auth }
func (m accessRecordsQuery) auth() Auth { return m.Auth }
func (m myGrantsQuery) auth() Auth      { return m.Auth }
func (m deviceKeyAtQuery) auth() Auth   { return m.Auth }

func (m registerDeviceMsg) org() string  { return m.OrgID }
func (m rotateDeviceKeyMsg) org() string { return m.OrgID }
func (m revokeDeviceMsg) org() string    { return m.OrgID }
func (m grantReadMsg) org() string       { return m.OrgID }
func (m revokeGrantMsg) org() string     { return m.OrgID }
func (m adminMsg) org() string           { return m.OrgID }
func (m gatewayMsg) org() string         { return m.OrgID }
func (m createStreamMsg) org() string    { return m.OrgID }
func (m shredBatchesMsg) org() string    { return m.OrgID }
func (m shredStreamMsg) org() string     { return m.OrgID }

func (m orgQuery) org() string           { return m.OrgID }
func (m listQuery) org() string          { return m.OrgID }
func (m grantsQuery) org() string        { return m.OrgID }
func (m accessRecordsQuery) org() string { return m.OrgID }

// Answers.

// ReleasedBatch is one batch of a release_keys answer: its anchor and the
// keys the grant allows, the batch key for a grant of every value, the
// value keys of the granted values otherwise.
type ReleasedBatch struct {
	Anchor    Anchor     `json:"anchor"`
	BatchKey  []byte     `json:"batch_key,omitempty"`
	ValueKeys []ValueKey `json:"value_keys,omitempty"`
}

// ReleaseAnswer is the answer of release_keys.
type ReleaseAnswer struct {
	GrantID  uint64          `json:"grant_id"`
	StreamID string          `json:"stream_id"`
	Batches  []ReleasedBatch `json:"batches"`
	RecordID uint64          `json:"access_record_id"`
}

// AnchorEntry is an anchor as the anchors query lists it, with whether its
// key has been shredded.
type AnchorEntry struct {
	Anchor
	KeyShredded bool `json:"key_shredded"`
}

// AnchorsAnswer is the answer of anchors: the anchors of batches
// start_batch onwards (only those within the grant's window when read as a
// grantee) and the stream's last anchored batch and sequence number.
type AnchorsAnswer struct {
	StreamID  string        `json:"stream_id"`
	Anchors   []AnchorEntry `json:"anchors"`
	LastBatch uint64        `json:"last_batch"`
	LastSeq   uint64        `json:"last_seq"`
	Shredded  bool          `json:"shredded"`
}

// StreamEntry is a stream as the streams query lists it.
type StreamEntry struct {
	Stream
	LastBatch uint64 `json:"last_batch"`
	LastSeq   uint64 `json:"last_seq"`
	Shredded  bool   `json:"shredded"`
}

// DeviceKeyAnswer is the answer of device_key_at: the key valid at time,
// or null (with why).
type DeviceKeyAnswer struct {
	OrgID     string     `json:"org_id"`
	DeviceID  string     `json:"device_id"`
	Time      Time       `json:"time"`
	Key       *DeviceKey `json:"key"`
	RevokedAt *Time      `json:"revoked_at"`
	Reason    string     `json:"reason,omitempty"`
}

// ShredAnswer is the answer of shred_batches and shred_stream.
type ShredAnswer struct {
	StreamID    string `json:"stream_id"`
	KeysDeleted uint64 `json:"keys_deleted"`
	MoreKeys    bool   `json:"more_keys"`
}

func init() {
	contract.WarmJSON(
		InstantiateMsg{}, createViewingKeyMsg{}, setViewingKeyMsg{}, revokePermitMsg{}, revokeAllPermitsMsg{},
		createOrgMsg{}, adminMsg{}, gatewayMsg{}, registerDeviceMsg{}, rotateDeviceKeyMsg{}, revokeDeviceMsg{},
		createStreamMsg{}, anchorBatchMsg{}, grantReadMsg{}, revokeGrantMsg{}, releaseKeysMsg{},
		shredBatchesMsg{}, shredStreamMsg{},
		orgQuery{Auth: Auth{ViewingKey: &ViewingKeyAuth{}, Permit: &contract.Permit{}}},
		listQuery{}, anchorsQuery{}, grantsQuery{}, accessRecordsQuery{}, myGrantsQuery{}, deviceKeyAtQuery{},
		map[string]any{}, map[string]string{}, map[string]uint64{},
		ReleaseAnswer{Batches: []ReleasedBatch{{}}}, AnchorsAnswer{Anchors: []AnchorEntry{{}}},
		[]StreamEntry{{}}, DeviceKeyAnswer{Key: &DeviceKey{}}, ShredAnswer{}, []Gateway{{}}, []Grant{{}},
		[]Device{{}}, contract.AccessPage{},
	)
}
