package edge

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/keys"
)

// Registry anchors batches in the data-registry contract
// (contracts/registry, docs/registry.md) as one of an organisation's
// gateways: anchors are encrypted execute messages signed by the gateway's
// account, and the last anchor is read with a query permit the gateway
// signs itself.
type Registry struct {
	Client   *client.Client
	Key      keys.PrivKey // the gateway's account
	ChainID  string
	Contract keys.ContractAddress
	OrgID    string
	// GasLimit of an anchor transaction; 0: 3,000,000.
	GasLimit uint64

	permit *contract.Permit
}

type anchorMsg struct {
	OrgID           string `json:"org_id"`
	StreamID        string `json:"stream_id"`
	Batch           uint64 `json:"batch"`
	MerkleRoot      string `json:"merkle_root"`
	RecordCount     uint64 `json:"record_count"`
	FirstSeq        uint64 `json:"first_seq"`
	LastSeq         uint64 `json:"last_seq"`
	FirstSourceTime string `json:"first_source_time"`
	LastSourceTime  string `json:"last_source_time"`
	Location        string `json:"location"`
	ObjectSHA256    string `json:"object_sha256"`
	BatchKey        string `json:"batch_key"`
}

// Anchor implements Anchorer.
func (r *Registry) Anchor(ctx context.Context, a Anchor) error {
	msg, err := json.Marshal(map[string]anchorMsg{"anchor_batch": {
		OrgID: r.OrgID, StreamID: a.Stream, Batch: a.Batch, MerkleRoot: hex.EncodeToString(a.Root),
		RecordCount: a.LastSeq - a.FirstSeq + 1, FirstSeq: a.FirstSeq, LastSeq: a.LastSeq,
		FirstSourceTime: strconv.FormatInt(a.FirstTime, 10), LastSourceTime: strconv.FormatInt(a.LastTime, 10),
		Location: a.Location, ObjectSHA256: hex.EncodeToString(a.ObjectSHA256), BatchKey: base64.StdEncoding.EncodeToString(a.Key),
	}})
	if err != nil {
		return err
	}
	gas := r.GasLimit
	if gas == 0 {
		gas = 3_000_000
	}
	_, err = r.Client.Execute(ctx, r.Key, r.Contract, msg, false, 0, client.TxOptions{GasLimit: gas})
	return err
}

// Last implements Anchorer.
func (r *Registry) Last(ctx context.Context, stream string) (uint64, uint64, error) {
	// A permit of a day, signed again an hour before it expires.
	if r.permit == nil || time.Now().Add(time.Hour).After(time.Unix(int64(r.permit.Params.Expires), 0)) {
		p, err := client.SignPermit(r.Key, r.ChainID, "hermetic-edge", []string{r.Contract.String()}, []string{"anchors"}, 24*time.Hour)
		if err != nil {
			return 0, 0, err
		}
		r.permit = &p
	}
	q, err := json.Marshal(map[string]any{"anchors": map[string]any{
		"auth": map[string]any{"permit": r.permit}, "org_id": r.OrgID, "stream_id": stream, "limit": 1}})
	if err != nil {
		return 0, 0, err
	}
	ans, err := r.Client.Query(ctx, r.Contract, q, false)
	if err != nil {
		return 0, 0, fmt.Errorf("registry: anchors of %s: %w", stream, err)
	}
	var out struct {
		Anchors *struct {
			LastBatch uint64 `json:"last_batch"`
			LastSeq   uint64 `json:"last_seq"`
		} `json:"anchors"`
	}
	if err := json.Unmarshal(ans, &out); err != nil || out.Anchors == nil {
		return 0, 0, fmt.Errorf("registry: anchors of %s: not an anchors answer: %v", stream, err)
	}
	return out.Anchors.LastBatch, out.Anchors.LastSeq, nil
}
