package app

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
)

// Validator is a validator's record in state. Its voting power is
// Tokens / Params.PowerReduction.
//
// Staking here is deliberately small: the validator set is fixed at genesis
// (no create-validator message yet), bonding adds tokens to a validator and
// unbonding returns them at once (no unbonding period, no slashing). Both
// change voting power through ABCI validator updates at the end of the block.
type Validator struct {
	Operator keys.Address `json:"operator"`
	ConsKey  []byte       `json:"cons_pub_key"`
	Tokens   uint64       `json:"tokens"`
	Moniker  string       `json:"moniker"`
}

// Power returns the validator's voting power under p.
func (v Validator) Power(p Params) int64 { return int64(v.Tokens / p.PowerReduction) }

func compareAddr(a, b keys.Address) int { return bytes.Compare(a[:], b[:]) }

func delegationKey(delegator, operator keys.Address) []byte {
	k := make([]byte, 0, 41)
	k = append(k, prefixDelegation)
	k = append(k, delegator[:]...)
	return append(k, operator[:]...)
}

func getValidator(s state.Store, op keys.Address) (Validator, error) {
	bz, err := s.Get(addrKey(prefixValidator, op))
	if err != nil {
		return Validator{}, err
	}
	if bz == nil {
		return Validator{}, fmt.Errorf("%w: %s", ErrUnknownValidator, op)
	}
	var v Validator
	if err := json.Unmarshal(bz, &v); err != nil {
		return Validator{}, fmt.Errorf("%w: decode validator %s: %v", ErrInternal, op, err)
	}
	return v, nil
}

func setValidator(s state.Store, v Validator) error {
	bz, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: encode validator: %v", ErrInternal, err)
	}
	return s.Set(addrKey(prefixValidator, v.Operator), bz)
}

// Validators returns every validator in operator-address order.
func Validators(s state.Store) ([]Validator, error) {
	it, err := s.Iterator([]byte{prefixValidator}, []byte{prefixValidator + 1}, false)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Validator
	for ; it.Valid(); it.Next() {
		var v Validator
		if err := json.Unmarshal(it.Value(), &v); err != nil {
			return nil, fmt.Errorf("%w: decode validator: %v", ErrInternal, err)
		}
		out = append(out, v)
	}
	return out, it.Error()
}

func (a *App) bond(env *txEnv, s state.Store, m *tx.MsgBond) error {
	v, err := getValidator(s, m.Validator)
	if err != nil {
		return err
	}
	if err := subBalance(s, m.Delegator, m.Amount.Amount); err != nil {
		return err
	}
	dk := delegationKey(m.Delegator, m.Validator)
	d, err := getU64(s, dk)
	if err != nil {
		return err
	}
	if err := setU64(s, dk, d+m.Amount.Amount); err != nil {
		return err
	}
	v.Tokens += m.Amount.Amount
	if err := setValidator(s, v); err != nil {
		return err
	}
	env.block.touchValidator(m.Validator)
	return nil
}

func (a *App) unbond(env *txEnv, s state.Store, m *tx.MsgUnbond) error {
	v, err := getValidator(s, m.Validator)
	if err != nil {
		return err
	}
	dk := delegationKey(m.Delegator, m.Validator)
	d, err := getU64(s, dk)
	if err != nil {
		return err
	}
	if d < m.Amount.Amount {
		return fmt.Errorf("%w: %s has %d%s bonded to %s, asked to unbond %d", ErrInsufficientBond, m.Delegator, d, Denom, m.Validator, m.Amount.Amount)
	}
	before := v.Power(a.params)
	v.Tokens -= m.Amount.Amount
	if after := v.Power(a.params); after == 0 && before > 0 {
		total, err := a.totalPower(s)
		if err != nil {
			return err
		}
		if total-before <= 0 {
			return ErrLastValidator
		}
	}
	if err := setU64(s, dk, d-m.Amount.Amount); err != nil {
		return err
	}
	if err := setValidator(s, v); err != nil {
		return err
	}
	if err := addBalance(s, m.Delegator, m.Amount.Amount); err != nil {
		return err
	}
	env.block.touchValidator(m.Validator)
	return nil
}

func (a *App) totalPower(s state.Store) (int64, error) {
	vals, err := Validators(s)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, v := range vals {
		total += v.Power(a.params)
	}
	return total, nil
}

// Delegation returns the amount delegator has bonded to operator.
func Delegation(s state.Store, delegator, operator keys.Address) (uint64, error) {
	return getU64(s, delegationKey(delegator, operator))
}
