package vm

import "encoding/json"

// The JSON types of the CosmWasm 1.x contract interface, as cosmwasm-std
// serialises them. Field names and shapes follow cosmwasm-std exactly, since
// contracts compiled elsewhere parse them; numbers that cosmwasm-std keeps as
// Uint64/Uint128 are decimal strings.

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

// TransactionInfo is the position of the transaction in its block; nil for
// queries.
type TransactionInfo struct {
	Index uint32 `json:"index"`
}

// ContractInfo names the contract being called.
type ContractInfo struct {
	Address string `json:"address"`
}

// Coin is cosmwasm-std's Coin: the amount is a decimal string (Uint128).
type Coin struct {
	Denom  string `json:"denom"`
	Amount string `json:"amount"`
}

// MessageInfo is who called and what they sent.
type MessageInfo struct {
	Sender string `json:"sender"`
	Funds  []Coin `json:"funds"`
}

// ContractResult is what an entry point returns: {"ok": ...} or
// {"error": "..."}.
type ContractResult struct {
	Ok  *Response `json:"ok,omitempty"`
	Err *string   `json:"error,omitempty"`
}

// QueryResult is what the query entry point returns: base64 binary data or
// an error.
type QueryResult struct {
	Ok  []byte  `json:"ok,omitempty"`
	Err *string `json:"error,omitempty"`
}

// Response is a successful execution's result.
type Response struct {
	Messages   []SubMsg    `json:"messages"`
	Attributes []Attribute `json:"attributes"`
	Events     []Event     `json:"events"`
	Data       []byte      `json:"data,omitempty"`
}

// Attribute is a key-value pair of an event.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Event is a custom event a contract emits.
type Event struct {
	Type       string      `json:"type"`
	Attributes []Attribute `json:"attributes"`
}

// SubMsg is a message a contract dispatches, with when to reply.
type SubMsg struct {
	ID       uint64          `json:"id"`
	Msg      json.RawMessage `json:"msg"` // CosmosMsg: {"bank": ...} | {"wasm": ...} | ...
	GasLimit *uint64         `json:"gas_limit,omitempty"`
	ReplyOn  string          `json:"reply_on"` // always, success, error, never
}

// Reply is what the reply entry point receives about a sub-message.
type Reply struct {
	ID     uint64       `json:"id"`
	Result SubMsgResult `json:"result"`
}

// SubMsgResult is {"ok": {"events": [...], "data": ...}} or {"error": "..."}.
type SubMsgResult struct {
	Ok  *SubMsgResponse `json:"ok,omitempty"`
	Err *string         `json:"error,omitempty"`
}

// SubMsgResponse is a successful sub-message's events and data.
type SubMsgResponse struct {
	Events []Event `json:"events"`
	Data   []byte  `json:"data,omitempty"`
}
