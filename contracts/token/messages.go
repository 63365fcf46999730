package main

import (
	"encoding/json"

	"github.com/hermetic-chain/hermetic/contract"
)

// The bodies of the execute and query messages, named so that init can
// warm encoding/json for them: the VM starts every call from a snapshot
// taken after start-up, so a type first decoded in a call pays for its
// reflection cache on every call (contract.WarmJSON).

// fastDecoder is a message that reads its usual shape without
// encoding/json (contract.ReadObject), which costs a transfer more than
// everything else it does; decodeFast changes nothing and returns false
// when it cannot, and decode then uses encoding/json.
type fastDecoder interface {
	decodeFast(body []byte) bool
}

type transferMsg struct {
	Recipient string  `json:"recipient"`
	Amount    string  `json:"amount"`
	Memo      *string `json:"memo"`
}

// sendBody is the body of send (and of send_from, with its owner).
type sendBody struct {
	Contract string  `json:"contract"`
	Amount   string  `json:"amount"`
	Msg      []byte  `json:"msg"`
	Memo     *string `json:"memo"`
}

type transferFromMsg struct {
	Owner     string  `json:"owner"`
	Recipient string  `json:"recipient"`
	Amount    string  `json:"amount"`
	Memo      *string `json:"memo"`
}

type changeAllowanceMsg struct {
	Spender    string  `json:"spender"`
	Amount     string  `json:"amount"`
	Expiration *uint64 `json:"expiration"`
}

type allowanceMsg struct {
	Owner   string `json:"owner"`
	Spender string `json:"spender"`
}

type historyMsg struct {
	Page     uint32  `json:"page"`
	PageSize *uint32 `json:"page_size"`
}

type createViewingKeyMsg struct {
	Entropy string `json:"entropy"`
}

type setViewingKeyMsg struct {
	Key string `json:"key"`
}

type revokePermitMsg struct {
	PermitName string `json:"permit_name"`
}

type revokeAllPermitsMsg struct {
	Before *uint64 `json:"before"`
}

type balanceQueryMsg struct {
	Address string `json:"address"`
	Key     string `json:"key"`
}

type historyQueryMsg struct {
	Address  string  `json:"address"`
	Key      string  `json:"key"`
	Page     uint32  `json:"page"`
	PageSize *uint32 `json:"page_size"`
}

type allowanceQueryMsg struct {
	Owner   string `json:"owner"`
	Spender string `json:"spender"`
	Key     string `json:"key"`
}

type auditedQueryMsg struct {
	Query json.RawMessage `json:"query"`
}

type withPermitMsg struct {
	Permit contract.Permit `json:"permit"`
	Query  json.RawMessage `json:"query"`
}

// historyAnswer is the answer of transfer_history.
type historyAnswer struct {
	Txs   []Tx   `json:"txs"`
	Total uint64 `json:"total"`
}

func (m *transferMsg) decodeFast(b []byte) bool {
	return readFast(m, b, func(t *transferMsg, k string, v *contract.JSONValue) bool {
		return readTransferField(k, v, &t.Recipient, &t.Amount, &t.Memo)
	})
}

func (m *transferFromMsg) decodeFast(b []byte) bool {
	return readFast(m, b, func(t *transferFromMsg, k string, v *contract.JSONValue) bool {
		if k == "owner" {
			t.Owner = v.String()
			return true
		}
		return readTransferField(k, v, &t.Recipient, &t.Amount, &t.Memo)
	})
}

func (m *balanceQueryMsg) decodeFast(b []byte) bool {
	return readFast(m, b, func(t *balanceQueryMsg, k string, v *contract.JSONValue) bool {
		switch k {
		case "address":
			t.Address = v.String()
		case "key":
			t.Key = v.String()
		default:
			return false
		}
		return true
	})
}

// readFast reads b into a zero T with contract.ReadObject, field reading
// each member, and stores it in m only if ReadObject accepts b.
func readFast[T any](m *T, b []byte, field func(t *T, k string, v *contract.JSONValue) bool) bool {
	var t T
	if !contract.ReadObject(b, func(k string, v *contract.JSONValue) bool { return field(&t, k, v) }) {
		return false
	}
	*m = t
	return true
}

// readTransferField reads a member transfer and transfer_from share.
func readTransferField(k string, v *contract.JSONValue, recipient, amount *string, memo **string) bool {
	switch k {
	case "recipient":
		*recipient = v.String()
	case "amount":
		*amount = v.String()
	case "memo":
		*memo = readMemo(v)
	default:
		return false
	}
	return true
}

// readMemo reads an optional memo: null or a string.
func readMemo(v *contract.JSONValue) *string {
	if v.Null() {
		return nil
	}
	s := v.String()
	return &s
}

func init() {
	contract.WarmJSON(
		transferMsg{},
		sendBody{},
		transferFromMsg{},
		changeAllowanceMsg{},
		allowanceMsg{},
		historyMsg{},
		createViewingKeyMsg{},
		setViewingKeyMsg{},
		revokePermitMsg{},
		revokeAllPermitsMsg{},
		balanceQueryMsg{},
		historyQueryMsg{},
		allowanceQueryMsg{},
		auditedQueryMsg{},
		withPermitMsg{},
		InstantiateMsg{}, sendMsg{},
		map[string]map[string]string{}, map[string]ReceiveMsg{},
		map[string]AllowanceAnswer{}, map[string]historyAnswer{}, map[string]TokenInfo{},
		map[string]contract.AccessPage{},
	)
}
