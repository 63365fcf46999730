package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The JSON types of the CosmWasm 1.x contract interface, mirroring package
// vm (vm/types.go) and cosmwasm-std: numbers cosmwasm-std keeps as
// Uint64/Uint128 are decimal strings, binary data is base64.

// Env is the block and contract a call runs in.
type Env struct {
	Block       BlockInfo        `json:"block"`
	Transaction *TransactionInfo `json:"transaction"`
	Contract    ContractInfo     `json:"contract"`
}

// BlockInfo describes the block. Time is nanoseconds since the Unix epoch,
// as a decimal string (cosmwasm-std Timestamp).
type BlockInfo struct {
	Height  uint64 `json:"height"`
	Time    string `json:"time"`
	ChainID string `json:"chain_id"`
}

// Timestamp returns the block time. It is what time.Now() returns inside the
// VM.
func (b BlockInfo) Timestamp() (time.Time, error) {
	n, err := strconv.ParseInt(b.Time, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("block time %q: %w", b.Time, err)
	}
	return time.Unix(0, n).UTC(), nil
}

// TransactionInfo is the position of the transaction in its block; nil for
// queries.
type TransactionInfo struct {
	Index uint32 `json:"index"`
}

// ContractInfo names the contract being called.
type ContractInfo struct {
	Address string `json:"address"`
}

// MessageInfo is who called and what they sent.
type MessageInfo struct {
	Sender string `json:"sender"`
	Funds  []Coin `json:"funds"`
}

// Coin is an amount of one denomination. Amount is a decimal string
// (cosmwasm-std Uint128).
type Coin struct {
	Denom  string `json:"denom"`
	Amount string `json:"amount"`
}

// NewCoin returns amount of denom.
func NewCoin(amount uint64, denom string) Coin {
	return Coin{Denom: denom, Amount: strconv.FormatUint(amount, 10)}
}

// Coins returns coins as a non-nil slice (cosmwasm-std encodes an empty
// list as [], never null).
func Coins(coins ...Coin) []Coin {
	if coins == nil {
		return []Coin{}
	}
	return coins
}

// Attribute is a key-value pair of an event.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Event is a custom event a contract emits. Its type gets the "wasm-"
// prefix on chain, as in CosmWasm.
type Event struct {
	Type       string      `json:"type"`
	Attributes []Attribute `json:"attributes"`
}

// NewEvent returns an event of type typ with no attributes.
func NewEvent(typ string) *Event { return &Event{Type: typ, Attributes: []Attribute{}} }

// AddAttribute appends an attribute and returns the event, for chaining.
func (e *Event) AddAttribute(key, value string) *Event {
	e.Attributes = append(e.Attributes, Attribute{Key: key, Value: value})
	return e
}

// ReplyOn says when the contract wants a reply about a sub-message.
type ReplyOn string

// The ReplyOn values.
const (
	ReplyAlways  ReplyOn = "always"
	ReplySuccess ReplyOn = "success"
	ReplyError   ReplyOn = "error"
	ReplyNever   ReplyOn = "never"
)

// SubMsg is a message a contract dispatches, with when to reply.
type SubMsg struct {
	ID       uint64    `json:"id"`
	Msg      CosmosMsg `json:"msg"`
	GasLimit *uint64   `json:"gas_limit,omitempty"`
	ReplyOn  ReplyOn   `json:"reply_on"`
}

// Response is what a successful instantiate, execute, migrate or reply
// returns. Build it with NewResponse and the Add/Set methods.
type Response struct {
	Messages   []SubMsg    `json:"messages"`
	Attributes []Attribute `json:"attributes"`
	Events     []Event     `json:"events"`
	Data       []byte      `json:"data,omitempty"`
}

// NewResponse returns an empty response.
func NewResponse() *Response { return &Response{} }

// AddAttribute appends an attribute to the contract's wasm event.
func (r *Response) AddAttribute(key, value string) *Response {
	r.Attributes = append(r.Attributes, Attribute{Key: key, Value: value})
	return r
}

// AddEvent appends a custom event.
func (r *Response) AddEvent(e *Event) *Response {
	ev := *e
	if ev.Attributes == nil {
		ev.Attributes = []Attribute{}
	}
	r.Events = append(r.Events, ev)
	return r
}

// AddMessage dispatches msg after the call, without a reply (fire and
// forget: if it fails, the whole transaction fails).
func (r *Response) AddMessage(msg CosmosMsg) *Response {
	return r.AddSubMessage(SubMsg{Msg: msg, ReplyOn: ReplyNever})
}

// AddSubMessage dispatches a sub-message; the reply entry point hears about
// it as sub.ReplyOn says.
func (r *Response) AddSubMessage(sub SubMsg) *Response {
	if sub.ReplyOn == "" {
		sub.ReplyOn = ReplyNever
	}
	r.Messages = append(r.Messages, sub)
	return r
}

// SetData sets the response's data, returned to the caller (base64 on the
// wire).
func (r *Response) SetData(data []byte) *Response {
	r.Data = data
	return r
}

// normalized returns a copy whose lists are [] rather than null, as
// cosmwasm-std writes them.
func (r *Response) normalized() Response {
	if r == nil {
		return Response{Messages: []SubMsg{}, Attributes: []Attribute{}, Events: []Event{}}
	}
	out := *r
	if out.Messages == nil {
		out.Messages = []SubMsg{}
	}
	if out.Attributes == nil {
		out.Attributes = []Attribute{}
	}
	if out.Events == nil {
		out.Events = []Event{}
	}
	for i := range out.Events {
		if out.Events[i].Attributes == nil {
			out.Events[i].Attributes = []Attribute{}
		}
	}
	return out
}

// CosmosMsg is a message a contract sends: exactly one field is set. Build
// it with NewBankSend, NewWasmExecute or NewWasmInstantiate, or set Custom to any
// other CosmWasm message's JSON.
type CosmosMsg struct {
	Bank *BankMsg `json:"bank,omitempty"`
	Wasm *WasmMsg `json:"wasm,omitempty"`
	// Custom, when set, is the whole message's JSON and the other fields
	// are ignored.
	Custom json.RawMessage `json:"-"`
}

// MarshalJSON encodes the message as its one variant.
func (m CosmosMsg) MarshalJSON() ([]byte, error) {
	if m.Custom != nil {
		return m.Custom, nil
	}
	if (m.Bank == nil) == (m.Wasm == nil) {
		return nil, errors.New("contract: a CosmosMsg needs exactly one of Bank, Wasm or Custom")
	}
	type plain CosmosMsg
	return json.Marshal(plain(m))
}

// UnmarshalJSON decodes a message; variants this type has no field for
// land in Custom.
func (m *CosmosMsg) UnmarshalJSON(b []byte) error {
	type plain CosmosMsg
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*m = CosmosMsg(p)
	if m.Bank == nil && m.Wasm == nil {
		m.Custom = append(json.RawMessage(nil), b...)
	}
	return nil
}

// BankMsg moves native tokens.
type BankMsg struct {
	Send *BankSend `json:"send,omitempty"`
	Burn *BankBurn `json:"burn,omitempty"`
}

// BankSend sends the contract's tokens to an address.
type BankSend struct {
	ToAddress string `json:"to_address"`
	Amount    []Coin `json:"amount"`
}

// BankBurn burns the contract's tokens.
type BankBurn struct {
	Amount []Coin `json:"amount"`
}

// WasmMsg calls or creates contracts.
type WasmMsg struct {
	Execute     *WasmExecuteMsg     `json:"execute,omitempty"`
	Instantiate *WasmInstantiateMsg `json:"instantiate,omitempty"`
	Migrate     *WasmMigrateMsg     `json:"migrate,omitempty"`
}

// WasmExecuteMsg executes a contract. Msg is the JSON message (base64 on
// the wire, as cosmwasm-std's Binary).
type WasmExecuteMsg struct {
	ContractAddr string `json:"contract_addr"`
	Msg          []byte `json:"msg"`
	Funds        []Coin `json:"funds"`
}

// WasmInstantiateMsg instantiates stored code.
type WasmInstantiateMsg struct {
	Admin  *string `json:"admin"`
	CodeID uint64  `json:"code_id"`
	Msg    []byte  `json:"msg"`
	Funds  []Coin  `json:"funds"`
	Label  string  `json:"label"`
}

// WasmMigrateMsg migrates a contract to new code.
type WasmMigrateMsg struct {
	ContractAddr string `json:"contract_addr"`
	NewCodeID    uint64 `json:"new_code_id"`
	Msg          []byte `json:"msg"`
}

// NewBankSend returns {"bank":{"send":{"to_address":to,"amount":[...]}}}.
func NewBankSend(to string, amount ...Coin) CosmosMsg {
	return CosmosMsg{Bank: &BankMsg{Send: &BankSend{ToAddress: to, Amount: Coins(amount...)}}}
}

// NewWasmExecute returns {"wasm":{"execute":{"contract_addr":...,"msg":...,
// "funds":[...]}}} executing contract with msg: any value, JSON-encoded, or
// a []byte / json.RawMessage taken as JSON already.
func NewWasmExecute(contract string, msg any, funds ...Coin) (CosmosMsg, error) {
	b, err := toJSON(msg)
	if err != nil {
		return CosmosMsg{}, err
	}
	return CosmosMsg{Wasm: &WasmMsg{Execute: &WasmExecuteMsg{ContractAddr: contract, Msg: b, Funds: Coins(funds...)}}}, nil
}

// NewWasmInstantiate returns a message instantiating code with msg (as in
// NewWasmExecute). admin may be empty for none.
func NewWasmInstantiate(codeID uint64, msg any, label, admin string, funds ...Coin) (CosmosMsg, error) {
	b, err := toJSON(msg)
	if err != nil {
		return CosmosMsg{}, err
	}
	m := &WasmInstantiateMsg{CodeID: codeID, Msg: b, Funds: Coins(funds...), Label: label}
	if admin != "" {
		m.Admin = &admin
	}
	return CosmosMsg{Wasm: &WasmMsg{Instantiate: m}}, nil
}

func toJSON(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case json.RawMessage:
		return b, nil
	}
	return json.Marshal(v)
}

// Reply is what the reply entry point receives about a sub-message.
type Reply struct {
	ID     uint64       `json:"id"`
	Result SubMsgResult `json:"result"`
}

// SubMsgResult is {"ok": {"events": [...], "data": ...}} or
// {"error": "..."}.
type SubMsgResult struct {
	Ok  *SubMsgResponse `json:"ok,omitempty"`
	Err *string         `json:"error,omitempty"`
}

// SubMsgResponse is a successful sub-message's events and data.
type SubMsgResponse struct {
	Events []Event `json:"events"`
	Data   []byte  `json:"data,omitempty"`
}

// responseOk is the result of instantiate, execute, migrate and reply:
// {"ok": Response}. Query returns {"ok": "<base64>"}, and all of them
// {"error": "..."} on failure; the SDK writes those by hand
// (appendQueryOk, appendResultErr), and this one too unless the response
// has messages (appendResponseOk).
type responseOk struct {
	Ok Response `json:"ok"`
}

// Variant splits a message of the CosmWasm enum form {"name": {...}} into
// its one key and its body. A bare string "name" (a unit variant) gives the
// name and a nil body.
func Variant(msg []byte) (name string, body json.RawMessage, err error) {
	if name, body, ok := variantFast(msg); ok {
		return name, body, nil
	}
	var s string
	if json.Unmarshal(msg, &s) == nil {
		return s, nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		return "", nil, fmt.Errorf("message: %w", err)
	}
	if len(m) != 1 {
		return "", nil, fmt.Errorf("message: want an object with exactly one key, got %d", len(m))
	}
	for k, v := range m {
		return k, v, nil
	}
	panic("unreachable")
}
