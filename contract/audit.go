package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Audited access: a read of an owner's private data that runs as a
// transaction instead of a query, so that it can leave a record. A query
// changes nothing and leaves no trace; an industrial data owner who lets an
// auditor or a model trainer read a data set also needs to see, later, who
// read what and when. A contract offers it by answering an execute message
// (the shipped token calls it "audited_query") with the same authenticated
// read its queries answer — a viewing key or a permit authorises it, the
// transaction's signer is the reader — and calling RecordAccess before it
// returns the answer.
//
// The records are the contract's confidential state, like the data itself:
// encrypted by the enclave under the contract's state key, and given out by
// the contract only to the owner (or whom the owner's permit allows), in an
// answer encrypted to the asker. The reader's own answer is the
// transaction's output, encrypted to the reader. Only successful reads are
// recorded: a refused one changes no state, the record included.
//
// Records are kept per owner in the map namespace "access_log" (keyed by
// the owner's length-prefixed address and U64Key(id)) and the count per
// owner in "access_count"; a contract using the access log must not use
// those names itself.

// AccessRecord is one audited read of an owner's data.
type AccessRecord struct {
	// ID numbers the owner's records from 1, in the order they were made.
	ID uint64 `json:"id"`
	// Reader is the address that read: the transaction's signer, or the
	// contract that sent the message.
	Reader string `json:"reader"`
	// Owner is the address whose data was read.
	Owner string `json:"owner"`
	// Auth is what authorised the read: "viewing_key", "permit:NAME" (the
	// permit's name) or "owner" when the owner read its own data.
	Auth string `json:"auth"`
	// Scope is the permission the read needed, as the contract names it
	// ("balance", "history", "dataset:line-3").
	Scope string `json:"scope"`
	// Data says which data was read, in the contract's words (the query and
	// its parameters, never a credential).
	Data string `json:"data"`
	// AnswerSHA256 is the hex SHA-256 of the answer the reader got, so that
	// the owner can later tell which answer a reader holds.
	AnswerSHA256 string `json:"answer_sha256"`
	// Height, Time (nanoseconds since the Unix epoch, as Env gives it) and
	// TxIndex place the read on the chain.
	Height  uint64 `json:"height"`
	Time    string `json:"time"`
	TxIndex uint32 `json:"tx_index"`
}

// AccessPage is a page of an owner's access records, newest first, and how
// many there are in all.
type AccessPage struct {
	Records []AccessRecord `json:"records"`
	Total   uint64         `json:"total"`
}

// Limits of AccessRecords' pages.
const (
	DefaultAccessPageSize = 10
	MaxAccessPageSize     = 100
)

// ErrAccessPageSize is AccessRecords' error for a page size out of range.
var ErrAccessPageSize = errors.New("access records: page_size out of range")

var (
	accessLog   = NewMap[string, AccessRecord]("access_log")
	accessCount = NewMap[string, uint64]("access_count")
)

// accessOwnerPrefix is owner's length-prefixed address: no owner's records
// share a prefix with another's.
func accessOwnerPrefix(owner string) (string, error) {
	if owner == "" || len(owner) > 255 {
		return "", fmt.Errorf("access record: owner address of %d bytes", len(owner))
	}
	return string([]byte{byte(len(owner))}) + owner, nil
}

// RecordAccess appends an access record to r.Owner's log and returns it as
// stored: RecordAccess sets its ID, Height, Time and TxIndex from env and
// AnswerSHA256 from answer, the bytes the reader gets. Reader, Owner, Auth,
// Scope and Data are the caller's.
func RecordAccess(deps Deps, env Env, r AccessRecord, answer []byte) (AccessRecord, error) {
	if r.Reader == "" || r.Auth == "" || r.Scope == "" {
		return r, errors.New("access record: reader, auth and scope are required")
	}
	prefix, err := accessOwnerPrefix(r.Owner)
	if err != nil {
		return r, err
	}
	n, _, err := accessCount.MayLoad(deps.Storage, r.Owner)
	if err != nil {
		return r, fmt.Errorf("access record: %w", err)
	}
	n++
	sum := sha256.Sum256(answer)
	r.ID, r.AnswerSHA256 = n, hex.EncodeToString(sum[:])
	r.Height, r.Time = env.Block.Height, env.Block.Time
	if env.Transaction != nil {
		r.TxIndex = env.Transaction.Index
	}
	if err := accessLog.Save(deps.Storage, prefix+U64Key(n), r); err != nil {
		return r, fmt.Errorf("access record: %w", err)
	}
	if err := accessCount.Save(deps.Storage, r.Owner, n); err != nil {
		return r, fmt.Errorf("access record: %w", err)
	}
	return r, nil
}

// AccessRecords returns page (from 0) of owner's access records, size a
// page (0 means DefaultAccessPageSize; at most MaxAccessPageSize), newest
// first. The caller must have authenticated the owner (or the owner's
// delegate): the records say who reads the owner's data.
func AccessRecords(s Storage, owner string, page, size uint32) (AccessPage, error) {
	if size == 0 {
		size = DefaultAccessPageSize
	}
	if size > MaxAccessPageSize {
		return AccessPage{}, fmt.Errorf("%w: %d is over %d", ErrAccessPageSize, size, MaxAccessPageSize)
	}
	prefix, err := accessOwnerPrefix(owner)
	if err != nil {
		return AccessPage{}, err
	}
	total, _, err := accessCount.MayLoad(s, owner)
	if err != nil {
		return AccessPage{}, fmt.Errorf("access records: %w", err)
	}
	out := AccessPage{Records: []AccessRecord{}, Total: total}
	skip := uint64(page) * uint64(size) // < 2^32 · 100: no overflow
	if skip >= total {
		return out, nil
	}
	hi := total - skip // ids are 1..total; the page is ids (lo, hi]
	lo := hi - min(hi, uint64(size))
	start, end := prefix+U64Key(lo+1), prefix+U64Key(hi+1)
	for _, r := range accessLog.Range(s, &start, &end, Descending) {
		out.Records = append(out.Records, r)
	}
	if uint64(len(out.Records)) != hi-lo {
		return AccessPage{}, fmt.Errorf("access records of %s: %d entries for ids %d to %d", owner, len(out.Records), lo+1, hi)
	}
	return out, nil
}
