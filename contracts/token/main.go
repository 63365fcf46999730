// Command token is a fungible-token contract in the spirit of Secret
// Network's SNIP-20, written with Hermetic's Go contract SDK (package
// contract).
//
// # Confidentiality model
//
// Hermetic runs every call in an enclave: the message, the contract's state
// and the result are encrypted for the sender, and the contract sees
// plaintext. Balances, allowances and transfer histories are therefore
// confidential, and what reveals them must be authenticated. An account's
// data is read in three ways:
//
//   - with an EXECUTE message (balance, transfer_history, allowance) that
//     answers for the transaction's sender only; the chain encrypts its
//     answer for the sender;
//   - with a QUERY authenticated by a viewing key (SNIP-20's): the account
//     sets one with set_viewing_key, or has the contract create one with
//     create_viewing_key, and presents it with the address it reads. The
//     contract keeps only each key's SHA-256 and compares in constant time;
//     a wrong key and an account with no key give the same error, "wrong
//     viewing key". Created keys derive from the instantiate message's
//     prng_seed (kept, hashed, in the confidential state), the block, the
//     sender, the caller's entropy and a counter (see
//     contract.CreateViewingKey): choose a secret prng_seed, and give
//     entropy of your own;
//   - with a QUERY authenticated by a permit (SNIP-24's spirit, see
//     contract.VerifyPermit): the account signs off-chain, with its ed25519
//     or P-256 key, a permit naming the chain, this contract (or "*"), the
//     permissions it grants ("balance", "history", "allowance") and its
//     validity span; the query reads the signer's data. No key is stored;
//     revoke_permit and revoke_all_permits revoke permits.
//
// Any of these queries can also run as a transaction, audited_query: the
// reader (the transaction's signer) gets the same answer, encrypted to it,
// and the owner of the data gets an access record — who read, authorised
// how, which permission, which data, when, and the SHA-256 of the answer —
// in its access log (contract.RecordAccess), which only the owner (or whom
// its permit allows, permission "access_records") can list.
//
// token_info is a public query; it does not reveal the total supply.
//
// Every execute response carries one attribute, action=<message name>, and
// no others (attributes are not where amounts or parties should appear), and
// its data is padded with spaces (contract.Pad) to a multiple of 256 bytes so
// that a response's length does not reveal the amounts in it. The answers of
// the account queries are padded the same way.
//
// # Messages
//
// Messages are JSON in CosmWasm's conventions: snake_case, enums as
// {"variant": {...}}, unknown fields rejected. Amounts are decimal strings
// (as cosmwasm-std's Uint128) but must fit in 64 bits; the total supply is
// fixed at instantiation, so no balance can overflow.
//
//	instantiate {"name": "Token", "symbol": "TKN", "decimals": 6,
//	             "initial_balances": [{"address": "herm1…", "amount": "100"}],
//	             "prng_seed": "<base64>"}            prng_seed optional
//	    prng_seed seeds the viewing keys create_viewing_key makes: it should
//	    be secret and random (32 bytes).
//	    name 3–30 characters, symbol 3–12 letters A–Z, decimals ≤ 18.
//
//	execute (the sender is info.sender; data is JSON, padded)
//	  {"transfer": {"recipient", "amount", "memo"?}}
//	      → {"transfer": {"status": "success"}}
//	  {"send": {"contract", "amount", "msg"?, "memo"?}}
//	      → {"send": {"status": "success"}}; with msg, the response has a wasm
//	        execute message to contract: {"receive": {"sender", "from",
//	        "amount", "msg", "memo"?}} (SNIP-20's receiver interface; the chain
//	        encrypts it for the callee).
//	  {"increase_allowance": {"spender", "amount", "expiration"?}}
//	  {"decrease_allowance": {"spender", "amount", "expiration"?}}
//	      → {"increase_allowance" | "decrease_allowance":
//	            {"owner", "spender", "allowance", "expiration"}}
//	        expiration is a block height: the allowance is expired from that
//	        height on. A decrease below zero leaves zero. Changing an expired
//	        allowance starts from zero. Saturating at 2^64-1.
//	  {"transfer_from": {"owner", "recipient", "amount", "memo"?}}
//	  {"send_from": {"owner", "contract", "amount", "msg"?, "memo"?}}
//	      → {"transfer_from" | "send_from": {"status": "success"}}; spend the
//	        sender's allowance from owner.
//	  {"balance": {}}
//	      → {"balance": {"amount"}} of the sender.
//	  {"transfer_history": {"page": 0, "page_size": 10}}
//	      → {"transfer_history": {"txs": [{"id", "from", "sender", "receiver",
//	        "coins": {"denom", "amount"}, "memo", "block_height",
//	        "block_time"}], "total"}} of the sender, newest first; page_size
//	        1–100 (default 10), block_time in seconds.
//	  {"allowance": {"owner", "spender"}}
//	      → {"allowance": {"owner", "spender", "allowance", "expiration"}},
//	        only to the owner or the spender; an expired allowance reads 0.
//	  {"create_viewing_key": {"entropy"}}
//	      → {"create_viewing_key": {"key"}}: a new key for the sender
//	        ("api_key_…"), replacing any it had.
//	  {"set_viewing_key": {"key"}}
//	      → {"set_viewing_key": {"status": "success"}}: the sender's key is
//	        now key (non-empty), replacing any it had.
//	  {"revoke_permit": {"permit_name"}}
//	      → {"revoke_permit": {"status": "success"}}: the sender's permits
//	        of that name are refused from now on.
//	  {"revoke_all_permits": {"before"?}}
//	      → {"revoke_all_permits": {"status": "success"}}: the sender's
//	        permits created before the time "before" (Unix seconds; default
//	        the block time's second + 1, so every permit created so far) are
//	        refused from now on. An earlier time than a previous call's
//	        changes nothing.
//	  {"audited_query": {"query": Q}}
//	      Q is any account query below (balance, transfer_history, allowance
//	      or access_records with its viewing key, or with_permit): the
//	      answer is Q's, and a record of the read goes to the owner's access
//	      log. A refused read fails the transaction and records nothing.
//	  {"access_records": {"page"?, "page_size"?}}
//	      → {"access_records": {"records": [{"id", "reader", "owner",
//	        "auth", "scope", "data", "answer_sha256", "height", "time",
//	        "tx_index"}], "total"}}: the sender's access log, newest first;
//	        page_size 1–100 (default 10). auth is "viewing_key" or
//	        "permit:<name>"; answer_sha256 is of the answer's JSON without
//	        its padding.
//
//	query
//	  {"token_info": {}} → {"token_info": {"name", "symbol", "decimals",
//	                        "total_supply": null}}  (the supply is private)
//	  {"balance": {"address", "key"}} → {"balance": {"amount"}}
//	  {"transfer_history": {"address", "key", "page"?, "page_size"?}}
//	      → as the execute message, for address.
//	  {"allowance": {"owner", "spender", "key"}}
//	      → as the execute message; key is the owner's or the spender's.
//	  {"access_records": {"address", "key", "page"?, "page_size"?}}
//	      → as the execute message, for address.
//	  key is the viewing key of address (of owner or spender); otherwise the
//	  error is "wrong viewing key", whether the key is wrong or there is none.
//	  {"with_permit": {"permit": {"params": {"chain_id", "permit_name",
//	                    "allowed_contracts", "permissions", "created",
//	                    "expires"},
//	                  "signature": {"pub_key": {"type", "value"},
//	                                "signature"}},
//	                  "query": Q}}
//	      Q is {"balance": {}} (permission "balance"),
//	      {"transfer_history": {"page"?, "page_size"?}} ("history") or
//	      {"allowance": {"owner", "spender"}} ("allowance", the signer being
//	      the owner or the spender) or {"access_records": {"page"?,
//	      "page_size"?}} ("access_records"); the answer is that of the viewing-key
//	      query, for the permit's signer. A refused permit answers with the
//	      permit's error ("permit: expired", "permit: revoked", …).
//
// Errors are plain messages: "insufficient funds" (never the balance),
// "insufficient allowance", "allowance expired at height N", "<field>:
// invalid address …", "amount: zero amount", "wrong viewing key",
// "unknown execute message …", "invalid message: …".
//
// # Storage
//
// Accounts are keyed by their address as validated by the chain
// (deps.API.AddrValidate) and lower-cased (bech32 is case-insensitive, and a
// valid address is all one case). Each account has one record, its balance
// and the length of its history (16 bytes, big-endian, not JSON: JSON is
// what costs most gas in the VM), so a transfer writes each party once. The
// history is kept per account under keys account ‖ sequence number, with the
// full record in each party's history: a page is one descending range over
// exactly its keys (no skipping), which iterates the confidential storage.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags="-s -w" -o token.wasm ./contracts/token
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hermetic-chain/hermetic/contract"
)

// padBlock is the block execute responses' data is padded to.
const padBlock = 256

// Paging of transfer_history.
const (
	defaultPageSize = 10
	maxPageSize     = 100
)

// Errors with fixed messages.
var (
	errInsufficientFunds     = errors.New("insufficient funds")
	errInsufficientAllowance = errors.New("insufficient allowance")
	errZeroAmount            = errors.New("zero amount")
	errUnauthorized          = errors.New("unauthorized: only the owner or the spender may read an allowance")
)

func init() {
	contract.Register(contract.Handlers{
		Instantiate: instantiate,
		Execute:     execute,
		Query:       query,
	})
}

// main is never called: the VM runs the contract as a WASI reactor.
func main() {}

// decode strictly decodes a message body into v: unknown fields are an
// error, and a missing body (a unit variant "name") is {}. A message that
// can decode its usual shape by hand (fastDecoder) does, and encoding/json
// decides everything else.
func decode(name string, body []byte, v any) error {
	if len(body) == 0 || string(body) == "null" {
		body = []byte("{}")
	}
	if f, ok := v.(fastDecoder); ok && f.decodeFast(body) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid %s message: %w", name, err)
	}
	if dec.More() {
		return fmt.Errorf("invalid %s message: trailing data", name)
	}
	return nil
}

// parseAmount parses a decimal amount string (cosmwasm-std Uint128), which
// must fit in 64 bits.
func parseAmount(field, s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("%s: missing amount", field)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%s: invalid amount %q: want a decimal string of digits", field, s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: amount %q exceeds the maximum %d", field, s, uint64(math.MaxUint64))
	}
	return n, nil
}

// parsePositive is parseAmount refusing zero.
func parsePositive(field, s string) (uint64, error) {
	n, err := parseAmount(field, s)
	if err == nil && n == 0 {
		err = fmt.Errorf("%s: %w", field, errZeroAmount)
	}
	return n, err
}

func formatAmount(n uint64) string { return strconv.FormatUint(n, 10) }

// address validates a human-readable address with the chain and returns
// its normal (lower-case) form, the key of its state.
func address(deps contract.Deps, field, human string) (string, error) {
	if err := deps.API.AddrValidate(human); err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return strings.ToLower(human), nil
}

// InitialBalance is one account's balance at instantiation.
type InitialBalance struct {
	Address string `json:"address"`
	Amount  string `json:"amount"`
}

// InstantiateMsg is the instantiate message.
type InstantiateMsg struct {
	Name            string           `json:"name"`
	Symbol          string           `json:"symbol"`
	Decimals        uint32           `json:"decimals"`
	InitialBalances []InitialBalance `json:"initial_balances"`
	PrngSeed        []byte           `json:"prng_seed"`
}

func validateName(name string) error {
	if n := utf8.RuneCountInString(name); !utf8.ValidString(name) || n < 3 || n > 30 {
		return fmt.Errorf("name: %q must be 3 to 30 characters", name)
	}
	return nil
}

func validateSymbol(symbol string) error {
	ok := len(symbol) >= 3 && len(symbol) <= 12
	for i := 0; ok && i < len(symbol); i++ {
		ok = symbol[i] >= 'A' && symbol[i] <= 'Z'
	}
	if !ok {
		return fmt.Errorf("symbol: %q must be 3 to 12 upper-case letters A-Z", symbol)
	}
	return nil
}

func instantiate(deps contract.Deps, env contract.Env, info contract.MessageInfo, msg []byte) (*contract.Response, error) {
	var m InstantiateMsg
	if err := decode("instantiate", msg, &m); err != nil {
		return nil, err
	}
	if err := validateName(m.Name); err != nil {
		return nil, err
	}
	if err := validateSymbol(m.Symbol); err != nil {
		return nil, err
	}
	if m.Decimals > 18 {
		return nil, fmt.Errorf("decimals: %d is over the maximum 18", m.Decimals)
	}
	// Sum first, write after: duplicates add up, and the total supply
	// must fit in 64 bits.
	balances := map[string]uint64{}
	var order []string
	var supply uint64
	for i, b := range m.InitialBalances {
		field := fmt.Sprintf("initial_balances[%d]", i)
		a, err := address(deps, field+".address", b.Address)
		if err != nil {
			return nil, err
		}
		n, err := parseAmount(field+".amount", b.Amount)
		if err != nil {
			return nil, err
		}
		if supply > math.MaxUint64-n {
			return nil, errors.New("initial_balances: the total supply exceeds 2^64-1")
		}
		supply += n
		if _, ok := balances[a]; !ok {
			order = append(order, a)
		}
		balances[a] += n
	}
	if err := config.Save(deps.Storage, Config{
		Name: m.Name, Symbol: m.Symbol, Decimals: uint8(m.Decimals), TotalSupply: supply,
	}); err != nil {
		return nil, err
	}
	deps.Storage.Set(symbolKey, []byte(m.Symbol))
	// The viewing keys' seed, stored hashed.
	contract.SetViewingKeySeed(deps, m.PrngSeed)
	for _, a := range order { // in message order: deterministic
		saveAccount(deps.Storage, a, Account{Balance: balances[a]})
	}
	return contract.NewResponse().AddAttribute("action", "instantiate"), nil
}

// respond is a successful execute response: action=name and the padded
// JSON of data.
func respond(name string, data any) (*contract.Response, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return contract.NewResponse().AddAttribute("action", name).SetData(contract.Pad(b, padBlock)), nil
}

// success is {"<name>":{"status":"success"}}, padded. name is an execute
// message's name, a fixed identifier: it needs no escaping, and building
// the JSON by hand spares encoding/json's reflection (tens of thousands of
// gas in the VM) on every transfer.
func success(name string) (*contract.Response, error) {
	b := []byte(`{"` + name + `":{"status":"success"}}`)
	return contract.NewResponse().AddAttribute("action", name).SetData(contract.Pad(b, padBlock)), nil
}

func execute(deps contract.Deps, env contract.Env, info contract.MessageInfo, msg []byte) (*contract.Response, error) {
	name, body, err := contract.Variant(msg)
	if err != nil {
		return nil, fmt.Errorf("invalid message: %w", err)
	}
	h, ok := executeHandlers[name]
	if !ok {
		return nil, fmt.Errorf("unknown execute message %q", name)
	}
	sender, err := address(deps, "sender", info.Sender)
	if err != nil {
		return nil, err
	}
	return h(deps, env, sender, name, body)
}

type executeHandler func(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error)

var executeHandlers map[string]executeHandler

func init() {
	executeHandlers = map[string]executeHandler{
		"transfer":           executeTransfer,
		"send":               executeSend,
		"increase_allowance": executeChangeAllowance,
		"decrease_allowance": executeChangeAllowance,
		"transfer_from":      executeTransferFrom,
		"send_from":          executeSendFrom,
		"balance":            executeBalance,
		"transfer_history":   executeTransferHistory,
		"allowance":          executeAllowance,
		"create_viewing_key": executeCreateViewingKey,
		"set_viewing_key":    executeSetViewingKey,
		"revoke_permit":      executeRevokePermit,
		"revoke_all_permits": executeRevokeAllPermits,
		"audited_query":      executeAuditedQuery,
		"access_records":     executeAccessRecords,
	}
}

func executeRevokePermit(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m revokePermitMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	if m.PermitName == "" {
		return nil, errors.New("permit_name: empty permit name")
	}
	if err := contract.RevokePermit(deps, sender, m.PermitName); err != nil {
		return nil, err
	}
	return success(name)
}

func executeRevokeAllPermits(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m revokeAllPermitsMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	var before uint64
	if m.Before != nil {
		before = *m.Before
	} else {
		// every permit created up to and including the block's second
		t, err := env.Block.Timestamp()
		if err != nil {
			return nil, err
		}
		before = uint64(t.Unix()) + 1
	}
	if err := contract.RevokeAllBefore(deps, sender, before); err != nil {
		return nil, err
	}
	return success(name)
}

func executeCreateViewingKey(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m createViewingKeyMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	key, err := contract.CreateViewingKey(deps, env, contract.MessageInfo{Sender: sender}, m.Entropy)
	if err != nil {
		return nil, err
	}
	return respond(name, map[string]map[string]string{name: {"key": key}})
}

func executeSetViewingKey(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m setViewingKeyMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	if m.Key == "" {
		return nil, errors.New("key: empty viewing key")
	}
	if err := contract.SetViewingKey(deps, sender, m.Key); err != nil {
		return nil, err
	}
	return success(name)
}

func executeTransfer(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m transferMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	recipient, err := address(deps, "recipient", m.Recipient)
	if err != nil {
		return nil, err
	}
	amount, err := parsePositive("amount", m.Amount)
	if err != nil {
		return nil, err
	}
	if err := move(deps.Storage, env, sender, sender, recipient, amount, m.Memo); err != nil {
		return nil, err
	}
	return success(name)
}

// sendMsg is the body of send and send_from.
type sendMsg struct {
	Owner string `json:"owner"` // send_from only
	sendBody
}

// ReceiveMsg is what send and send_from deliver to the receiving contract
// (SNIP-20's Snip20ReceiveMsg), as {"receive": ReceiveMsg}.
type ReceiveMsg struct {
	Sender string  `json:"sender"`
	From   string  `json:"from"`
	Amount string  `json:"amount"`
	Msg    []byte  `json:"msg"`
	Memo   *string `json:"memo,omitempty"`
}

func executeSend(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m sendBody
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	return send(deps, env, name, sender, sender, sendMsg{sendBody: m}, false)
}

func executeSendFrom(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m sendMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	owner, err := address(deps, "owner", m.Owner)
	if err != nil {
		return nil, err
	}
	return send(deps, env, name, sender, owner, m, true)
}

// send moves amount from owner to a contract, spending sender's allowance
// if fromAllowance, and notifies the contract if m.Msg is set.
func send(deps contract.Deps, env contract.Env, name, sender, owner string, m sendMsg, fromAllowance bool) (*contract.Response, error) {
	to, err := address(deps, "contract", m.Contract)
	if err != nil {
		return nil, err
	}
	amount, err := parsePositive("amount", m.Amount)
	if err != nil {
		return nil, err
	}
	var out contract.CosmosMsg
	if m.Msg != nil {
		out, err = contract.NewWasmExecute(to, map[string]ReceiveMsg{"receive": {
			Sender: sender, From: owner, Amount: formatAmount(amount), Msg: m.Msg, Memo: m.Memo,
		}})
		if err != nil {
			return nil, err
		}
	}
	if fromAllowance {
		err = moveFrom(deps.Storage, env, sender, owner, to, amount, m.Memo)
	} else {
		err = move(deps.Storage, env, sender, owner, to, amount, m.Memo)
	}
	if err != nil {
		return nil, err
	}
	res, err := success(name)
	if err == nil && m.Msg != nil {
		res.AddMessage(out)
	}
	return res, err
}

func executeTransferFrom(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m transferFromMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	owner, err := address(deps, "owner", m.Owner)
	if err != nil {
		return nil, err
	}
	recipient, err := address(deps, "recipient", m.Recipient)
	if err != nil {
		return nil, err
	}
	amount, err := parsePositive("amount", m.Amount)
	if err != nil {
		return nil, err
	}
	if err := moveFrom(deps.Storage, env, sender, owner, recipient, amount, m.Memo); err != nil {
		return nil, err
	}
	return success(name)
}

// AllowanceAnswer is the data of increase_allowance, decrease_allowance and
// allowance.
type AllowanceAnswer struct {
	Owner      string  `json:"owner"`
	Spender    string  `json:"spender"`
	Allowance  string  `json:"allowance"`
	Expiration *uint64 `json:"expiration"`
}

func executeChangeAllowance(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m changeAllowanceMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	spender, err := address(deps, "spender", m.Spender)
	if err != nil {
		return nil, err
	}
	// Zero is allowed: it changes only the expiration.
	amount, err := parseAmount("amount", m.Amount)
	if err != nil {
		return nil, err
	}
	a, err := loadAllowance(deps.Storage, sender, spender)
	if err != nil {
		return nil, err
	}
	if a.expired(env.Block.Height) {
		a = Allowance{}
	}
	if name == "increase_allowance" {
		if a.Amount > math.MaxUint64-amount {
			a.Amount = math.MaxUint64
		} else {
			a.Amount += amount
		}
	} else {
		a.Amount -= min(a.Amount, amount)
	}
	if m.Expiration != nil {
		a.Expiration = m.Expiration
	}
	if err := saveAllowance(deps.Storage, sender, spender, a); err != nil {
		return nil, err
	}
	return respond(name, map[string]AllowanceAnswer{name: {
		Owner: sender, Spender: spender, Allowance: formatAmount(a.Amount), Expiration: a.Expiration,
	}})
}

func executeAllowance(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m allowanceMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	owner, err := address(deps, "owner", m.Owner)
	if err != nil {
		return nil, err
	}
	spender, err := address(deps, "spender", m.Spender)
	if err != nil {
		return nil, err
	}
	if sender != owner && sender != spender {
		return nil, errUnauthorized
	}
	v, err := readAllowance(deps, env, name, owner, spender)
	if err != nil {
		return nil, err
	}
	return respond(name, v)
}

// readAllowance is the answer of allowance: owner's allowance to spender
// (0 if expired).
func readAllowance(deps contract.Deps, env contract.Env, name, owner, spender string) (any, error) {
	a, err := loadAllowance(deps.Storage, owner, spender)
	if err != nil {
		return nil, err
	}
	amount := a.Amount
	if a.expired(env.Block.Height) {
		amount = 0
	}
	return map[string]AllowanceAnswer{name: {
		Owner: owner, Spender: spender, Allowance: formatAmount(amount), Expiration: a.Expiration,
	}}, nil
}

func executeBalance(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m struct{}
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	v, err := readBalance(deps, name, sender)
	if err != nil {
		return nil, err
	}
	return respond(name, v)
}

// readBalance is the answer of balance for who.
func readBalance(deps contract.Deps, name, who string) (any, error) {
	acc, err := loadAccount(deps.Storage, who)
	if err != nil {
		return nil, err
	}
	return map[string]map[string]string{name: {"amount": formatAmount(acc.Balance)}}, nil
}

func executeTransferHistory(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m historyMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	v, err := readHistory(deps, name, sender, m.Page, m.PageSize)
	if err != nil {
		return nil, err
	}
	return respond(name, v)
}

// readHistory is the answer of transfer_history: page of who's history,
// page_size (default 10) entries a page, newest first.
func readHistory(deps contract.Deps, name, who string, page uint32, pageSize *uint32) (any, error) {
	size := uint32(defaultPageSize)
	if pageSize != nil {
		size = *pageSize
	}
	if size < 1 || size > maxPageSize {
		return nil, fmt.Errorf("page_size: %d is not between 1 and %d", size, maxPageSize)
	}
	acc, err := loadAccount(deps.Storage, who)
	if err != nil {
		return nil, err
	}
	txs, err := historyPage(deps.Storage, who, acc.TxCount, uint64(page), uint64(size))
	if err != nil {
		return nil, err
	}
	return map[string]historyAnswer{name: {Txs: txs, Total: acc.TxCount}}, nil
}

// TokenInfo is the answer of the token_info query.
type TokenInfo struct {
	Name        string  `json:"name"`
	Symbol      string  `json:"symbol"`
	Decimals    uint8   `json:"decimals"`
	TotalSupply *string `json:"total_supply"` // always null: the supply is private
}

func query(deps contract.Deps, env contract.Env, msg []byte) ([]byte, error) {
	name, body, err := contract.Variant(msg)
	if err != nil {
		return nil, fmt.Errorf("invalid query: %w", err)
	}
	if name == "token_info" {
		var m struct{}
		if err := decode(name, body, &m); err != nil {
			return nil, err
		}
		c, err := config.Load(deps.Storage)
		if err != nil {
			return nil, err
		}
		return contract.JSON(map[string]TokenInfo{name: {Name: c.Name, Symbol: c.Symbol, Decimals: c.Decimals}})
	}
	r, err := authRead(deps, env, name, body)
	if err != nil {
		return nil, err
	}
	return answer(r.answer, nil)
}

// Permissions a permit grants for the queries of with_permit.
const (
	permissionBalance   = "balance"
	permissionHistory   = "history"
	permissionAllowance = "allowance"
	permissionAccess    = "access_records"
)

// Auth values of access records for a read authorised by a viewing key, and
// prefix of those authorised by a permit (followed by its name).
const (
	authViewingKey = "viewing_key"
	authPermit     = "permit:"
)

// accountRead is an authenticated read of an account's data: whose data it
// is, what authorised the read, the permission it needed, which data it
// read (for the access record of an audited read) and the answer.
type accountRead struct {
	owner, auth, scope, data string
	answer                   any
}

// authRead answers an account query — balance, transfer_history, allowance
// or access_records with a viewing key, or with_permit around one of them —
// for a query or an audited_query alike.
func authRead(deps contract.Deps, env contract.Env, name string, body []byte) (accountRead, error) {
	var (
		who     string
		key     string
		request any // the decoded query, for readAccount
	)
	switch name {
	case "balance":
		var m balanceQueryMsg
		if err := decode(name, body, &m); err != nil {
			return accountRead{}, err
		}
		who, key, request = m.Address, m.Key, struct{}{}
	case "transfer_history":
		var m historyQueryMsg
		if err := decode(name, body, &m); err != nil {
			return accountRead{}, err
		}
		who, key, request = m.Address, m.Key, historyMsg{Page: m.Page, PageSize: m.PageSize}
	case "access_records":
		var m historyQueryMsg // the same fields: an account, its key, a page
		if err := decode(name, body, &m); err != nil {
			return accountRead{}, err
		}
		who, key, request = m.Address, m.Key, historyMsg{Page: m.Page, PageSize: m.PageSize}
	case "allowance":
		var m allowanceQueryMsg
		if err := decode(name, body, &m); err != nil {
			return accountRead{}, err
		}
		owner, err := address(deps, "owner", m.Owner)
		if err != nil {
			return accountRead{}, err
		}
		spender, err := address(deps, "spender", m.Spender)
		if err != nil {
			return accountRead{}, err
		}
		// Both checked, whichever matches: the same work either way.
		ownerErr := contract.CheckViewingKey(deps, owner, m.Key)
		spenderErr := contract.CheckViewingKey(deps, spender, m.Key)
		if ownerErr != nil && spenderErr != nil {
			return accountRead{}, contract.ErrViewingKey
		}
		return readAccount(deps, env, name, owner, authViewingKey, allowanceMsg{Owner: owner, Spender: spender})
	case "with_permit":
		return readWithPermit(deps, env, name, body)
	default:
		return accountRead{}, fmt.Errorf("unknown query %q", name)
	}
	a, err := address(deps, "address", who)
	if err != nil {
		return accountRead{}, err
	}
	if err := contract.CheckViewingKey(deps, a, key); err != nil {
		return accountRead{}, err
	}
	return readAccount(deps, env, name, a, authViewingKey, request)
}

// readAccount reads query name's answer for who, authorised (auth) as who
// or, for allowance, as its owner or spender. request is the query's
// parameters: struct{} for balance, historyMsg for transfer_history and
// access_records, allowanceMsg (validated addresses) for allowance.
func readAccount(deps contract.Deps, env contract.Env, name, who, auth string, request any) (accountRead, error) {
	r := accountRead{owner: who, auth: auth}
	var err error
	switch q := request.(type) {
	case historyMsg:
		r.data = fmt.Sprintf("%s page %d page_size %s", name, q.Page, pageSizeText(q.PageSize))
		if name == "access_records" {
			r.scope = permissionAccess
			var size uint32
			if q.PageSize != nil {
				size = *q.PageSize
			}
			var page contract.AccessPage
			page, err = contract.AccessRecords(deps.Storage, who, q.Page, size)
			r.answer = map[string]contract.AccessPage{name: page}
		} else {
			r.scope = permissionHistory
			r.answer, err = readHistory(deps, name, who, q.Page, q.PageSize)
		}
	case allowanceMsg:
		// who is the owner or the spender, whichever authorised the read;
		// the data read is the owner's.
		r.owner, r.scope, r.data = q.Owner, permissionAllowance, "allowance to "+q.Spender
		r.answer, err = readAllowance(deps, env, name, q.Owner, q.Spender)
	default:
		r.scope, r.data = permissionBalance, name
		r.answer, err = readBalance(deps, name, who)
	}
	if err != nil {
		return accountRead{}, err
	}
	return r, nil
}

func pageSizeText(size *uint32) string {
	if size == nil {
		return "default"
	}
	return strconv.FormatUint(uint64(*size), 10)
}

// readWithPermit answers {"with_permit":{"permit","query"}}: the query
// (balance, transfer_history, allowance or access_records, without address
// or key) for the permit's signer.
func readWithPermit(deps contract.Deps, env contract.Env, name string, body []byte) (accountRead, error) {
	var m withPermitMsg
	if err := decode(name, body, &m); err != nil {
		return accountRead{}, err
	}
	qname, qbody, err := contract.Variant(m.Query)
	if err != nil {
		return accountRead{}, fmt.Errorf("invalid with_permit query: %w", err)
	}
	// Decode before verifying, so a malformed query costs no signature check.
	var (
		permission string
		request    any
	)
	switch qname {
	case "balance":
		var b struct{}
		permission, request, err = permissionBalance, struct{}{}, decode(qname, qbody, &b)
	case "transfer_history", "access_records":
		var h historyMsg
		err = decode(qname, qbody, &h)
		permission, request = permissionHistory, h
		if qname == "access_records" {
			permission = permissionAccess
		}
	case "allowance":
		var a allowanceMsg
		err = decode(qname, qbody, &a)
		permission, request = permissionAllowance, a
	default:
		return accountRead{}, fmt.Errorf("unknown with_permit query %q", qname)
	}
	if err != nil {
		return accountRead{}, err
	}
	signer, err := contract.VerifyPermit(deps, env, env.Contract.Address, m.Permit, permission)
	if err != nil {
		return accountRead{}, err
	}
	who, err := address(deps, "signer", signer)
	if err != nil {
		return accountRead{}, err
	}
	if a, ok := request.(allowanceMsg); ok {
		owner, err := address(deps, "owner", a.Owner)
		if err != nil {
			return accountRead{}, err
		}
		spender, err := address(deps, "spender", a.Spender)
		if err != nil {
			return accountRead{}, err
		}
		if who != owner && who != spender {
			return accountRead{}, errUnauthorized
		}
		request = allowanceMsg{Owner: owner, Spender: spender}
	}
	return readAccount(deps, env, qname, who, authPermit+m.Permit.Params.PermitName, request)
}

// executeAuditedQuery answers {"audited_query":{"query":Q}}, Q being any
// account query (as a query would send it, with its viewing key or as
// with_permit), as a transaction: the answer is the transaction's output,
// encrypted to the sender, and the read leaves an access record in the
// owner's log (contract.RecordAccess).
func executeAuditedQuery(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m auditedQueryMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	qname, qbody, err := contract.Variant(m.Query)
	if err != nil {
		return nil, fmt.Errorf("invalid audited_query query: %w", err)
	}
	r, err := authRead(deps, env, qname, qbody)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(r.answer)
	if err != nil {
		return nil, err
	}
	if _, err := contract.RecordAccess(deps, env, contract.AccessRecord{
		Reader: sender, Owner: r.owner, Auth: r.auth, Scope: r.scope, Data: r.data,
	}, b); err != nil {
		return nil, err
	}
	return contract.NewResponse().AddAttribute("action", name).SetData(contract.Pad(b, padBlock)), nil
}

func executeAccessRecords(deps contract.Deps, env contract.Env, sender, name string, body []byte) (*contract.Response, error) {
	var m historyMsg
	if err := decode(name, body, &m); err != nil {
		return nil, err
	}
	r, err := readAccount(deps, env, name, sender, "owner", m)
	if err != nil {
		return nil, err
	}
	return respond(name, r.answer)
}

// answer is the padded JSON of an account query's answer v (or err).
func answer(v any, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	b, err := contract.JSON(v)
	if err != nil {
		return nil, err
	}
	return contract.Pad(b, padBlock), nil
}
