// Command counter is Hermetic's example contract, written with the Go
// contract SDK (package contract): a counter its owner can reset.
//
//	instantiate {"count": n}           the sender becomes the owner
//	execute     {"increment": {}}      anyone; emits action=increment
//	execute     {"reset": {"count": n}} the owner only, else "unauthorized"
//	query       {"get_count": {}}      → {"count": n}
//	query       {"history": {"limit": n, "descending": bool}}
//	                                   → {"entries": [{"height": h, "count": n}]},
//	                                     the count after the last increment of
//	                                     each block, by height
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o counter.wasm ./contracts/counter
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/hermetic-chain/hermetic/contract"
)

// State is the counter.
type State struct {
	Count int64  `json:"count"`
	Owner string `json:"owner"`
}

// HistoryEntry is the count after the increments of one block.
type HistoryEntry struct {
	Height uint64 `json:"height"`
	Count  int64  `json:"count"`
}

var (
	counter = contract.NewItem[State]("state")
	// history is keyed by contract.U64Key(height), so it ranges by height.
	history = contract.NewMap[string, HistoryEntry]("history")
)

var errUnauthorized = errors.New("unauthorized")

func init() {
	contract.Register(contract.Handlers{
		Instantiate: instantiate,
		Execute:     execute,
		Query:       query,
	})
}

// main is never called: the VM runs the contract as a WASI reactor.
func main() {}

func instantiate(deps contract.Deps, env contract.Env, info contract.MessageInfo, msg []byte) (*contract.Response, error) {
	var m struct {
		Count int64 `json:"count"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		return nil, fmt.Errorf("instantiate message: %w", err)
	}
	if err := deps.API.AddrValidate(info.Sender); err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	if err := counter.Save(deps.Storage, State{Count: m.Count, Owner: info.Sender}); err != nil {
		return nil, err
	}
	return contract.NewResponse().
		AddAttribute("action", "instantiate").
		AddAttribute("owner", info.Sender).
		AddAttribute("count", strconv.FormatInt(m.Count, 10)), nil
}

func execute(deps contract.Deps, env contract.Env, info contract.MessageInfo, msg []byte) (*contract.Response, error) {
	name, body, err := contract.Variant(msg)
	if err != nil {
		return nil, err
	}
	switch name {
	case "increment":
		s, err := counter.Update(deps.Storage, func(s State) (State, error) {
			s.Count++
			return s, nil
		})
		if err != nil {
			return nil, err
		}
		h := env.Block.Height
		if err := history.Save(deps.Storage, contract.U64Key(h), HistoryEntry{Height: h, Count: s.Count}); err != nil {
			return nil, err
		}
		return contract.NewResponse().
			AddAttribute("action", "increment").
			AddAttribute("count", strconv.FormatInt(s.Count, 10)), nil
	case "reset":
		var m struct {
			Count int64 `json:"count"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("reset message: %w", err)
		}
		s, err := counter.Load(deps.Storage)
		if err != nil {
			return nil, err
		}
		if info.Sender != s.Owner {
			return nil, errUnauthorized
		}
		s.Count = m.Count
		if err := counter.Save(deps.Storage, s); err != nil {
			return nil, err
		}
		return contract.NewResponse().
			AddAttribute("action", "reset").
			AddAttribute("count", strconv.FormatInt(s.Count, 10)), nil
	}
	return nil, fmt.Errorf("unknown execute message %q", name)
}

func query(deps contract.Deps, env contract.Env, msg []byte) ([]byte, error) {
	name, body, err := contract.Variant(msg)
	if err != nil {
		return nil, err
	}
	switch name {
	case "get_count":
		s, err := counter.Load(deps.Storage)
		if err != nil {
			return nil, err
		}
		return contract.JSON(map[string]int64{"count": s.Count})
	case "history":
		var m struct {
			Limit      int  `json:"limit"`
			Descending bool `json:"descending"`
		}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, fmt.Errorf("history message: %w", err)
			}
		}
		order := contract.Ascending
		if m.Descending {
			order = contract.Descending
		}
		entries := []HistoryEntry{}
		for _, e := range history.Range(deps.Storage, nil, nil, order) {
			if m.Limit > 0 && len(entries) == m.Limit {
				break
			}
			entries = append(entries, e)
		}
		return contract.JSON(map[string]any{"entries": entries})
	}
	return nil, fmt.Errorf("unknown query %q", name)
}
