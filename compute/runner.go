package compute

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

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
	if err != nil {
		return sm, err
	}
	if w.Wasm.Execute.Msg, err = sl.Wire(hash, w.Wasm.Execute.Msg); err != nil {
		return sm, err
	}
	sm.Msg, err = json.Marshal(w)
	return sm, err
}
