package app

import (
	"fmt"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
)

// handler executes one message of a transaction signed by signer. It writes
// only through s, which the caller discards if any message fails.
type handler func(a *App, env *txEnv, s state.Store, signer keys.Address, value []byte) (msgResult, error)

// msgResult is what a message produced: its events and its response data
// (contract messages' data, encrypted for the sender when the input was).
type msgResult struct {
	events []abci.Event
	data   []byte
}

// message is what every routed message type provides.
type message interface {
	tx.Msg
	Unmarshal([]byte) error
}

// route decodes a message of type M, checks it and hands it to run.
func route[M any, PM interface {
	*M
	message
}](run func(a *App, env *txEnv, s state.Store, signer keys.Address, m PM) (msgResult, error)) handler {
	return func(a *App, env *txEnv, s state.Store, signer keys.Address, value []byte) (msgResult, error) {
		m := PM(new(M))
		if err := m.Unmarshal(value); err != nil {
			return msgResult{}, fmt.Errorf("%w: %s: %v", ErrTxDecode, m.TypeURL(), err)
		}
		if err := m.ValidateBasic(); err != nil {
			return msgResult{}, fmt.Errorf("%w: %s: %v", ErrInvalidMessage, m.TypeURL(), err)
		}
		return run(a, env, s, signer, m)
	}
}

// events adapts a handler that produces only events.
func events[PM any](run func(a *App, env *txEnv, s state.Store, signer keys.Address, m PM) ([]abci.Event, error)) func(a *App, env *txEnv, s state.Store, signer keys.Address, m PM) (msgResult, error) {
	return func(a *App, env *txEnv, s state.Store, signer keys.Address, m PM) (msgResult, error) {
		ev, err := run(a, env, s, signer, m)
		return msgResult{events: ev}, err
	}
}

// routes returns the message handlers by type URL.
func routes() map[string]handler {
	return map[string]handler{
		new(tx.MsgSend).TypeURL():            route(events(handleSend)),
		new(tx.MsgBond).TypeURL():            route(events(handleBond)),
		new(tx.MsgUnbond).TypeURL():          route(events(handleUnbond)),
		new(tx.MsgRegisterEnclave).TypeURL(): route(events(handleRegister)),
		new(tx.MsgStoreCode).TypeURL():       route(handleStoreCode),
		new(tx.MsgInstantiate).TypeURL():     route(handleInstantiate),
		new(tx.MsgExecute).TypeURL():         route(handleExecute),
		new(tx.MsgMigrate).TypeURL():         route(handleMigrate),
	}
}

func checkDenom(c tx.Coin) error {
	if c.Denom != Denom {
		return fmt.Errorf("%w: %q, this chain uses %q", ErrWrongDenom, c.Denom, Denom)
	}
	return nil
}

func authorize(signer, owner keys.Address) error {
	if signer != owner {
		return fmt.Errorf("%w: message is from %s, transaction signed by %s", ErrUnauthorized, owner, signer)
	}
	return nil
}

func handleSend(a *App, _ *txEnv, s state.Store, signer keys.Address, m *tx.MsgSend) ([]abci.Event, error) {
	if err := authorize(signer, m.From); err != nil {
		return nil, err
	}
	if err := checkDenom(m.Amount); err != nil {
		return nil, err
	}
	if err := a.send(s, m); err != nil {
		return nil, err
	}
	return []abci.Event{{Type: "transfer", Attributes: []abci.EventAttribute{
		{Key: "sender", Value: m.From.String()},
		{Key: "recipient", Value: m.To.String()},
		{Key: "amount", Value: coinString(m.Amount)},
	}}}, nil
}

func handleBond(a *App, env *txEnv, s state.Store, signer keys.Address, m *tx.MsgBond) ([]abci.Event, error) {
	if err := authorize(signer, m.Delegator); err != nil {
		return nil, err
	}
	if err := checkDenom(m.Amount); err != nil {
		return nil, err
	}
	if err := a.bond(env, s, m); err != nil {
		return nil, err
	}
	return []abci.Event{{Type: "bond", Attributes: []abci.EventAttribute{
		{Key: "delegator", Value: m.Delegator.String()},
		{Key: "validator", Value: m.Validator.String()},
		{Key: "amount", Value: coinString(m.Amount)},
	}}}, nil
}

func handleUnbond(a *App, env *txEnv, s state.Store, signer keys.Address, m *tx.MsgUnbond) ([]abci.Event, error) {
	if err := authorize(signer, m.Delegator); err != nil {
		return nil, err
	}
	if err := checkDenom(m.Amount); err != nil {
		return nil, err
	}
	if err := a.unbond(env, s, m); err != nil {
		return nil, err
	}
	return []abci.Event{{Type: "unbond", Attributes: []abci.EventAttribute{
		{Key: "delegator", Value: m.Delegator.String()},
		{Key: "validator", Value: m.Validator.String()},
		{Key: "amount", Value: coinString(m.Amount)},
	}}}, nil
}

func coinString(c tx.Coin) string { return strconv.FormatUint(c.Amount, 10) + c.Denom }
