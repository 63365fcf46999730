package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/hermetic-chain/hermetic/contract"
)

// Config is the token's fixed parameters and its private total supply.
type Config struct {
	Name        string `json:"name"`
	Symbol      string `json:"symbol"`
	Decimals    uint8  `json:"decimals"`
	TotalSupply uint64 `json:"total_supply"`
	// The instantiate message's prng_seed is not here: it is the viewing
	// keys' seed, stored hashed by contract.SetViewingKeySeed.
}

// Account is an account's balance and the number of its history entries
// (the sequence number of the next one): one record, so that a transfer
// writes each party once. It is stored as 16 bytes, the two numbers
// big-endian, not as JSON: a transfer reads and writes two accounts, and
// encoding/json costs tens of thousands of gas a document in the VM.
type Account struct {
	Balance uint64
	TxCount uint64
}

// accountSize is the length of a stored Account.
const accountSize = 16

// Allowance is what a spender may still move from an owner. Expiration is
// the block height from which it no longer applies; nil for never.
type Allowance struct {
	Amount     uint64  `json:"amount"`
	Expiration *uint64 `json:"expiration,omitempty"`
}

func (a Allowance) expired(height uint64) bool {
	return a.Expiration != nil && height >= *a.Expiration
}

// Coin is an amount of the token in a history entry.
type Coin struct {
	Denom  string `json:"denom"`
	Amount string `json:"amount"`
}

// Tx is a history entry (SNIP-20's Tx): From is the owner of the tokens,
// Sender who moved them (From, or a spender), Receiver who got them.
// BlockTime is in seconds since the Unix epoch.
type Tx struct {
	ID          uint64  `json:"id"`
	From        string  `json:"from"`
	Sender      string  `json:"sender"`
	Receiver    string  `json:"receiver"`
	Coins       Coin    `json:"coins"`
	Memo        *string `json:"memo"`
	BlockHeight uint64  `json:"block_height"`
	BlockTime   uint64  `json:"block_time"`
}

// appendTxJSON appends t as encoding/json writes it (token_test.go
// compares), without its reflection: a transfer writes one on every call.
func appendTxJSON(b []byte, t Tx) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, t.ID, 10)
	b = append(b, `,"from":`...)
	b = contract.AppendJSONString(b, t.From)
	b = append(b, `,"sender":`...)
	b = contract.AppendJSONString(b, t.Sender)
	b = append(b, `,"receiver":`...)
	b = contract.AppendJSONString(b, t.Receiver)
	b = append(b, `,"coins":{"denom":`...)
	b = contract.AppendJSONString(b, t.Coins.Denom)
	b = append(b, `,"amount":`...)
	b = contract.AppendJSONString(b, t.Coins.Amount)
	b = append(b, `},"memo":`...)
	if t.Memo == nil {
		b = append(b, "null"...)
	} else {
		b = contract.AppendJSONString(b, *t.Memo)
	}
	b = append(b, `,"block_height":`...)
	b = strconv.AppendUint(b, t.BlockHeight, 10)
	b = append(b, `,"block_time":`...)
	b = strconv.AppendUint(b, t.BlockTime, 10)
	return append(b, '}')
}

// symbolKey holds the token's symbol as plain bytes, beside the config:
// every transfer needs it for its history entry, and reading it so costs no
// JSON decoding.
var symbolKey = []byte("symbol")

var (
	config     = contract.NewItem[Config]("config")
	txCounter  = contract.NewItem[uint64]("tx_count")        // the last transaction id
	accounts   = contract.NewMap[string, []byte]("accounts") // Account, 16 bytes (saveAccount)
	allowances = contract.NewMap[string, Allowance]("allowances")
	// history is keyed by accountPrefix(account) ‖ U64Key(sequence): an
	// account's entries are contiguous and ordered by age.
	history = contract.NewMap[string, Tx]("history")
)

// accountPrefix is an account's length-prefixed address: no account's
// prefix is a prefix of another's.
func accountPrefix(account string) string {
	if len(account) > 255 {
		panic("address too long") // the chain's addresses are under 100 bytes
	}
	return string([]byte{byte(len(account))}) + account
}

func allowanceKey(owner, spender string) string { return accountPrefix(owner) + spender }

func loadAccount(s contract.Storage, account string) (Account, error) {
	b := s.Get(accounts.Key(account))
	if b == nil {
		return Account{}, nil
	}
	if len(b) != accountSize {
		return Account{}, fmt.Errorf("account %s: corrupt record of %d bytes", account, len(b))
	}
	return Account{Balance: binary.BigEndian.Uint64(b), TxCount: binary.BigEndian.Uint64(b[8:])}, nil
}

func saveAccount(s contract.Storage, account string, a Account) {
	b := make([]byte, accountSize)
	binary.BigEndian.PutUint64(b, a.Balance)
	binary.BigEndian.PutUint64(b[8:], a.TxCount)
	s.Set(accounts.Key(account), b)
}

func loadAllowance(s contract.Storage, owner, spender string) (Allowance, error) {
	a, _, err := allowances.MayLoad(s, allowanceKey(owner, spender))
	return a, err
}

func saveAllowance(s contract.Storage, owner, spender string, a Allowance) error {
	if a.Amount == 0 && a.Expiration == nil {
		allowances.Remove(s, allowanceKey(owner, spender))
		return nil
	}
	return allowances.Save(s, allowanceKey(owner, spender), a)
}

// moveFrom is move spending sender's allowance from owner. Every check is
// made before anything is written.
func moveFrom(s contract.Storage, env contract.Env, sender, owner, to string, amount uint64, memo *string) error {
	a, err := loadAllowance(s, owner, sender)
	if err != nil {
		return err
	}
	if a.expired(env.Block.Height) {
		return fmt.Errorf("allowance expired at height %d", *a.Expiration)
	}
	if a.Amount < amount {
		return errInsufficientAllowance
	}
	from, err := loadAccount(s, owner)
	if err != nil {
		return err
	}
	if from.Balance < amount {
		return errInsufficientFunds
	}
	a.Amount -= amount
	if err := saveAllowance(s, owner, sender, a); err != nil {
		return err
	}
	return move(s, env, sender, owner, to, amount, memo)
}

// move moves amount from owner to to on sender's behalf and records it in
// the histories of owner, to and (if neither) sender. It checks the balance
// before writing anything, so a failure leaves the state as it was.
func move(s contract.Storage, env contract.Env, sender, owner, to string, amount uint64, memo *string) error {
	from, err := loadAccount(s, owner)
	if err != nil {
		return err
	}
	if from.Balance < amount {
		return errInsufficientFunds
	}
	symbol := s.Get(symbolKey)
	if symbol == nil {
		return errors.New("token: no symbol stored (not instantiated?)")
	}
	t, err := env.Block.Timestamp()
	if err != nil {
		return err
	}
	id, _, err := txCounter.MayLoad(s)
	if err != nil {
		return err
	}
	id++
	tx := Tx{
		ID: id, From: owner, Sender: sender, Receiver: to,
		Coins: Coin{Denom: string(symbol), Amount: formatAmount(amount)}, Memo: memo,
		BlockHeight: env.Block.Height, BlockTime: uint64(max(t.Unix(), 0)),
	}
	txJSON := appendTxJSON(nil, tx) // once, for every party's history
	if err := txCounter.Save(s, id); err != nil {
		return err
	}

	// The parties, each once (a transfer to oneself is one entry).
	parties := []string{owner}
	if to != owner {
		parties = append(parties, to)
	}
	if sender != owner && sender != to {
		parties = append(parties, sender)
	}
	for _, p := range parties {
		acc := from
		if p != owner {
			if acc, err = loadAccount(s, p); err != nil {
				return err
			}
		}
		if p == owner {
			acc.Balance -= amount
		}
		if p == to {
			if acc.Balance > math.MaxUint64-amount { // impossible: the supply fits
				return fmt.Errorf("balance overflow")
			}
			acc.Balance += amount
		}
		s.Set(history.Key(accountPrefix(p)+contract.U64Key(acc.TxCount)), txJSON)
		acc.TxCount++
		saveAccount(s, p, acc)
	}
	return nil
}

// historyPage returns page of account's history (count entries), newest
// first: one descending range over exactly the page's keys.
func historyPage(s contract.Storage, account string, count, page, size uint64) ([]Tx, error) {
	txs := []Tx{}
	skip := page * size // page < 2^32, size ≤ 100: no overflow
	if skip >= count {
		return txs, nil
	}
	hi := count - skip
	lo := hi - min(hi, size)
	p := accountPrefix(account)
	start, end := p+contract.U64Key(lo), p+contract.U64Key(hi)
	for _, tx := range history.Range(s, &start, &end, contract.Descending) {
		txs = append(txs, tx)
	}
	if uint64(len(txs)) != hi-lo {
		return nil, fmt.Errorf("history of %s: %d entries in [%d, %d)", account, len(txs), lo, hi)
	}
	return txs, nil
}
