package compute

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/vm"
)

// runner runs one entry point of a contract in the VM. The enclave calls
// it with the decrypted message and the contract's decrypted state; it runs
// inside the enclave boundary, so it may see plaintext, and nothing it sees
// leaves except through the enclave's encryption.
type runner struct {
	vm   *vm.VM
	call vm.Call
	// codeHash looks up a contract's code hash (public), to encrypt the
	// messages this contract sends to it.
	codeHash func(contract string) ([32]byte, error)
	gasUsed  uint64
	vmErr    error // what ended the call, kept for the keeper to classify (never shown)
	respErr  error // the rule a response broke (ErrInvalidResponse); names no content
	response *vm.Response
	query    []byte
}

// errContract marks a contract's own {"error": ...} answer.
var errContract = errors.New("contract error")

// Run implements enclave.Runner: it returns the entry point's plaintext
// result (for query, the answer bytes), or the contract's error.
func (r *runner) Run(ctx context.Context, msg []byte, s state.Store) ([]byte, error) {
	c := r.call
	c.Msg, c.Store = msg, s
	res, err := r.vm.Call(ctx, c)
	r.gasUsed = res.GasUsed
	if err != nil {
		r.vmErr = err
		return nil, err
	}
	if c.Entry == "query" {
		var q vm.QueryResult
		if err := json.Unmarshal(res.JSON, &q); err != nil {
			return nil, fmt.Errorf("%w: query result is not JSON", errContract)
		}
		if q.Err != nil {
			return nil, fmt.Errorf("%w: %s", errContract, *q.Err)
		}
		r.query = q.Ok
		return q.Ok, nil
	}
	var cr vm.ContractResult
	if err := json.Unmarshal(res.JSON, &cr); err != nil || (cr.Ok == nil && cr.Err == nil) {
		return nil, fmt.Errorf("%w: result is not a ContractResult", errContract)
	}
	if cr.Err != nil {
		return nil, fmt.Errorf("%w: %s", errContract, *cr.Err)
	}
	if err := validateResponse(cr.Ok); err != nil {
		r.respErr = err
		return nil, err
	}
	r.response = cr.Ok
	return res.JSON, nil
}

// SealResult implements enclave.ResultSealer: it encrypts the response's
// data and every event attribute for the sender (CRYPTO.md §3) and keeps
// the messages the chain must carry out in the clear.
func (r *runner) SealResult(result []byte, sl enclave.Sealer) ([]byte, error) {
	encrypt := sl.Encrypt
	if r.call.Entry == "query" {
		return encrypt(result)
	}
	// Run has parsed this result already (it is what Run returned).
	if r.response == nil {
		return encrypt(result)
	}
	cr := vm.ContractResult{Ok: r.response}
	resp := *cr.Ok
	var err error
	// Messages to other contracts are encrypted for them on the sender's
	// behalf; the chain sees whom they go to, not what they say.
	resp.Messages = make([]vm.SubMsg, len(cr.Ok.Messages))
	for i, sm := range cr.Ok.Messages {
		if resp.Messages[i], err = r.sealSubMsg(sm, sl); err != nil {
			return nil, err
		}
	}
	if resp.Data != nil {
		if resp.Data, err = encrypt(resp.Data); err != nil {
			return nil, err
		}
	}
	seal := func(attrs []vm.Attribute) ([]vm.Attribute, error) {
		out := make([]vm.Attribute, len(attrs))
		for i, a := range attrs {
			k, err := encrypt([]byte(a.Key))
			if err != nil {
				return nil, err
			}
			v, err := encrypt([]byte(a.Value))
			if err != nil {
				return nil, err
			}
			out[i] = vm.Attribute{Key: base64.StdEncoding.EncodeToString(k), Value: base64.StdEncoding.EncodeToString(v)}
		}
		return out, nil
	}
	if resp.Attributes, err = seal(resp.Attributes); err != nil {
		return nil, err
	}
	events := make([]vm.Event, len(resp.Events))
	for i, e := range resp.Events {
		events[i].Type = e.Type
		if events[i].Attributes, err = seal(e.Attributes); err != nil {
			return nil, err
		}
	}
	resp.Events = events
	return json.Marshal(vm.ContractResult{Ok: &resp})
}

// wasmExecute is the part of a CosmosMsg the chain reads to call another
// contract.
type wasmExecute struct {
	Wasm *struct {
		Execute *struct {
			ContractAddr string    `json:"contract_addr"`
			Msg          []byte    `json:"msg"`
			Funds        []vm.Coin `json:"funds"`
		} `json:"execute"`
	} `json:"wasm"`
}

// sealSubMsg encrypts the message of a wasm execute for its callee.
func (r *runner) sealSubMsg(sm vm.SubMsg, sl enclave.Sealer) (vm.SubMsg, error) {
	var w wasmExecute
	if json.Unmarshal(sm.Msg, &w) != nil || w.Wasm == nil || w.Wasm.Execute == nil {
		return sm, nil
	}
	hash, err := r.codeHash(w.Wasm.Execute.ContractAddr)
	if nodeFault(err) {
		return sm, err
	}
	if err != nil {
		return sm, fmt.Errorf("%w: wasm execute: %w", ErrInvalidMsg, err)
	}
	if w.Wasm.Execute.Msg, err = sl.Wire(hash, w.Wasm.Execute.Msg); err != nil {
		return sm, err
	}
	sm.Msg, err = json.Marshal(w)
	return sm, err
}

// Limits on a response, as CosmWasm (wasmd) sets them: an event type of
// a custom event has at least two characters, and an attribute key is not
// empty and does not start with an underscore (reserved for the chain).
const minEventTypeLen = 2

// validateResponse checks a contract's response against those rules and
// that every message says when to reply in a way the chain knows. Its
// errors name the rule and the position, never the content (which may be
// secret).
func validateResponse(resp *vm.Response) error {
	checkAttrs := func(where string, attrs []vm.Attribute) error {
		for i, a := range attrs {
			key := strings.TrimSpace(a.Key)
			switch {
			case key == "":
				return fmt.Errorf("%w: %sattribute %d has an empty key", ErrInvalidResponse, where, i)
			case strings.HasPrefix(key, "_"):
				return fmt.Errorf("%w: %sattribute %d has a key starting with \"_\" (reserved)", ErrInvalidResponse, where, i)
			}
		}
		return nil
	}
	if err := checkAttrs("", resp.Attributes); err != nil {
		return err
	}
	for i, e := range resp.Events {
		if len(strings.TrimSpace(e.Type)) < minEventTypeLen {
			return fmt.Errorf("%w: event %d has a type shorter than %d characters", ErrInvalidResponse, i, minEventTypeLen)
		}
		if err := checkAttrs(fmt.Sprintf("event %d: ", i), e.Attributes); err != nil {
			return err
		}
	}
	for i, sm := range resp.Messages {
		switch sm.ReplyOn {
		case "", "never", "always", "success", "error":
		default:
			return fmt.Errorf("%w: message %d: reply_on must be always, success, error or never", ErrInvalidResponse, i)
		}
	}
	return nil
}
