package contract

import "encoding/json"

// WarmJSON runs encoding/json once over the types of values (zero values
// will do). Call it from an init function with the types a contract decodes
// and encodes on its calls — its messages and answers; NewItem and NewMap do
// it for the types they store, and the SDK for its own.
//
// Why: the VM runs a contract's start-up once, snapshots the instance, and
// starts every call from that snapshot. A type encoding/json first meets
// during a call has its reflection cache built in that call and forgotten
// after it, so it costs every call again: about 1 ms per call for the SDK's
// types alone, before this. A type met during start-up is in the snapshot.
func WarmJSON(values ...any) {
	for _, v := range values {
		_, _ = json.Marshal(v) // builds the encoder and the field cache the decoder shares
	}
}

func init() {
	WarmJSON(
		Env{Transaction: &TransactionInfo{}},
		MessageInfo{},
		Reply{},
		responseOk{},
		NewBankSend("", Coin{}),      // CosmosMsg's own MarshalJSON and the types under it
		map[string]json.RawMessage{}, // Variant
	)
}
