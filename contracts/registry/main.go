// Command registry is Hermetic's data-registry contract: organisations
// register their devices (with key histories), gateways and streams;
// gateways anchor batches of a stream's records — gapless, each with its
// Merkle root, its object's location and hash, and the key it is encrypted
// under; an organisation's admins grant consumers the keys of a stream's
// batches for a window of source time, and every release of keys leaves an
// access record the organisation can read.
//
// It is confidential like every Hermetic contract: messages, state and
// answers are encrypted outside the enclave. Nothing about an organisation
// is answered to anyone but its admins (its gateways and grantees see the
// part they need), and queries are authenticated with the SDK's viewing
// keys or permits. docs/registry.md describes every message, query, error
// and design choice.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags="-s -w" -o registry.wasm ./contracts/registry
package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hermetic-chain/hermetic/contract"
)

// padBlock is the block answers are padded to (contract.Pad), so that their
// length tells little about what is in them.
const padBlock = 256

func init() {
	contract.Register(contract.Handlers{
		Instantiate: instantiate,
		Execute:     execute,
		Query:       query,
	})
}

// main is never called: the VM runs the contract as a WASI reactor.
func main() {}

// decode strictly decodes a message body into v: unknown fields and
// trailing data are errors, and a missing body is {}.
func decode(name string, body []byte, v any) error {
	if len(body) == 0 || string(body) == "null" {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w %s message: %v", errInvalid, name, err)
	}
	if dec.More() {
		return fmt.Errorf("%w %s message: trailing data", errInvalid, name)
	}
	return nil
}

func instantiate(deps contract.Deps, env contract.Env, info contract.MessageInfo, msg []byte) (*contract.Response, error) {
	var m InstantiateMsg
	if err := decode("instantiate", msg, &m); err != nil {
		return nil, err
	}
	contract.SetViewingKeySeed(deps, m.PrngSeed)
	return contract.NewResponse().AddAttribute("action", "instantiate"), nil
}

// respond is a successful execute's response: one attribute,
// action=name, and the padded JSON {name: answer} as data.
func respond(name string, answer any) (*contract.Response, error) {
	b, err := json.Marshal(map[string]any{name: answer})
	if err != nil {
		return nil, fmt.Errorf("encode %s answer: %w", name, err)
	}
	return contract.NewResponse().AddAttribute("action", name).SetData(contract.Pad(b, padBlock)), nil
}

// executeHandler handles one execute message for sender (validated,
// lower-case) and returns its answer.
type executeHandler func(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error)

var executeHandlers map[string]executeHandler

func init() {
	executeHandlers = map[string]executeHandler{
		"create_viewing_key": executeCreateViewingKey,
		"set_viewing_key":    executeSetViewingKey,
		"revoke_permit":      executeRevokePermit,
		"revoke_all_permits": executeRevokeAllPermits,
		"create_org":         executeCreateOrg,
		"add_admin":          executeAddAdmin,
		"remove_admin":       executeRemoveAdmin,
		"add_gateway":        executeAddGateway,
		"remove_gateway":     executeRemoveGateway,
		"register_device":    executeRegisterDevice,
		"rotate_device_key":  executeRotateDeviceKey,
		"revoke_device":      executeRevokeDevice,
		"create_stream":      executeCreateStream,
		"anchor_batch":       executeAnchorBatch,
		"grant_read":         executeGrantRead,
		"revoke_grant":       executeRevokeGrant,
		"release_keys":       executeReleaseKeys,
		"shred_batches":      executeShredBatches,
		"shred_stream":       executeShredStream,
	}
}

func execute(deps contract.Deps, env contract.Env, info contract.MessageInfo, msg []byte) (*contract.Response, error) {
	name, body, err := contract.Variant(msg)
	if err != nil {
		return nil, fmt.Errorf("%w message: %v", errInvalid, err)
	}
	h, ok := executeHandlers[name]
	if !ok {
		return nil, fmt.Errorf("%w message: unknown execute message %q", errInvalid, name)
	}
	sender, err := address(deps, "sender", info.Sender)
	if err != nil {
		return nil, err
	}
	answer, err := h(deps, env, sender, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return respond(name, answer)
}

// status is the answer of a message with nothing else to say.
var status = map[string]string{"status": "success"}

func executeCreateViewingKey(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	var m createViewingKeyMsg
	if err := decode("create_viewing_key", body, &m); err != nil {
		return nil, err
	}
	key, err := contract.CreateViewingKey(deps, env, contract.MessageInfo{Sender: sender}, m.Entropy)
	if err != nil {
		return nil, err
	}
	return map[string]string{"key": key}, nil
}

func executeSetViewingKey(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	var m setViewingKeyMsg
	if err := decode("set_viewing_key", body, &m); err != nil {
		return nil, err
	}
	if m.Key == "" {
		return nil, fmt.Errorf("%w key: empty viewing key", errInvalid)
	}
	return status, contract.SetViewingKey(deps, sender, m.Key)
}

func executeRevokePermit(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	var m revokePermitMsg
	if err := decode("revoke_permit", body, &m); err != nil {
		return nil, err
	}
	if m.PermitName == "" {
		return nil, fmt.Errorf("%w permit_name: empty permit name", errInvalid)
	}
	return status, contract.RevokePermit(deps, sender, m.PermitName)
}

func executeRevokeAllPermits(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	var m revokeAllPermitsMsg
	if err := decode("revoke_all_permits", body, &m); err != nil {
		return nil, err
	}
	now, err := blockTime(env)
	if err != nil {
		return nil, err
	}
	before := uint64(now)/1_000_000_000 + 1 // every permit created up to this block's second
	if m.Before != nil {
		before = *m.Before
	}
	return status, contract.RevokeAllBefore(deps, sender, before)
}
