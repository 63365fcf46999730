package contract

import (
	"encoding/json"
	"fmt"
)

// Handlers are a contract's entry points. Instantiate is required by the
// VM; a nil handler answers its entry point with an error.
type Handlers struct {
	Instantiate func(deps Deps, env Env, info MessageInfo, msg []byte) (*Response, error)
	Execute     func(deps Deps, env Env, info MessageInfo, msg []byte) (*Response, error)
	// Query returns the answer's bytes (usually JSON; see JSON and Pad).
	// Its Deps.Storage is read-only: a write ends the call with a trap.
	Query   func(deps Deps, env Env, msg []byte) ([]byte, error)
	Migrate func(deps Deps, env Env, msg []byte) (*Response, error)
	Reply   func(deps Deps, env Env, reply Reply) (*Response, error)
}

var handlers Handlers

// Register sets the contract's handlers. Call it from an init function of
// the contract's main package: a wasm reactor runs init functions but never
// main.
func Register(h Handlers) { handlers = h }

// Registered returns the registered handlers.
func Registered() Handlers { return handlers }

// Entry point names, as the VM calls them.
const (
	EntryInstantiate = "instantiate"
	EntryExecute     = "execute"
	EntryQuery       = "query"
	EntryMigrate     = "migrate"
	EntryReply       = "reply"
)

// Dispatch runs an entry point of the registered handlers the way the wasm
// export does: it decodes env (and info, for instantiate and execute; nil
// otherwise), calls the handler with msg and returns the JSON result —
// {"ok": Response} or {"error": "..."}, and for query {"ok": "<base64>"}.
// A handler's panic is recovered into an error result. Host tests use it to
// run a contract's logic without the VM.
func Dispatch(entry string, deps Deps, env, info, msg []byte) []byte {
	return dispatch(handlers, entry, deps, env, info, msg)
}

func dispatch(h Handlers, entry string, deps Deps, envJSON, infoJSON, msg []byte) (out []byte) {
	query := entry == EntryQuery
	defer func() {
		if r := recover(); r != nil {
			if a, ok := r.(AbortError); ok {
				panic(a)
			}
			out = errorResult(query, fmt.Sprintf("panic: %v", r))
		}
	}()
	var env Env
	if err := decodeEnv(envJSON, &env); err != nil {
		return errorResult(query, "decode env: "+err.Error())
	}
	var info MessageInfo
	if entry == EntryInstantiate || entry == EntryExecute {
		if err := decodeInfo(infoJSON, &info); err != nil {
			return errorResult(query, "decode info: "+err.Error())
		}
	}
	missing := func() []byte { return errorResult(query, "contract has no "+entry+" entry point") }
	var (
		resp *Response
		err  error
	)
	switch entry {
	case EntryInstantiate:
		if h.Instantiate == nil {
			return missing()
		}
		resp, err = h.Instantiate(deps, env, info, msg)
	case EntryExecute:
		if h.Execute == nil {
			return missing()
		}
		resp, err = h.Execute(deps, env, info, msg)
	case EntryMigrate:
		if h.Migrate == nil {
			return missing()
		}
		resp, err = h.Migrate(deps, env, msg)
	case EntryReply:
		if h.Reply == nil {
			return missing()
		}
		var r Reply
		if err := json.Unmarshal(msg, &r); err != nil {
			return errorResult(false, "decode reply: "+err.Error())
		}
		resp, err = h.Reply(deps, env, r)
	case EntryQuery:
		if h.Query == nil {
			return missing()
		}
		data, err := h.Query(deps, env, msg)
		if err != nil {
			return errorResult(true, err.Error())
		}
		if data == nil {
			data = []byte{}
		}
		return appendQueryOk(nil, data)
	default:
		return missing()
	}
	if err != nil {
		return errorResult(false, err.Error())
	}
	r := resp.normalized()
	if b, ok := appendResponseOk(nil, r); ok {
		return b
	}
	b, err := json.Marshal(responseOk{Ok: r})
	if err != nil {
		return errorResult(false, "encode response: "+err.Error())
	}
	return b
}

// errorResult is {"error": msg}, the same for every entry point.
func errorResult(_ bool, msg string) []byte { return appendResultErr(nil, msg) }

// JSON encodes v, for a query's answer: return contract.JSON(v).
func JSON(v any) ([]byte, error) { return json.Marshal(v) }

// AbortError is what Abort panics with in host builds.
type AbortError string

func (e AbortError) Error() string { return "aborted: " + string(e) }
