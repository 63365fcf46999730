package app

import (
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
)

func (a *App) send(s state.Store, m *tx.MsgSend) error {
	if err := subBalance(s, m.From, m.Amount.Amount); err != nil {
		return err
	}
	return addBalance(s, m.To, m.Amount.Amount)
}
