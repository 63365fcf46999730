package app

import (
	"errors"
	"fmt"

	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/vm"
)

// Codespace is the ABCI codespace of every error the application returns.
const Codespace = "hermetic"

// Sentinel errors. Each has its own ABCI result code (see Code), so a client
// can tell them apart without parsing text; callers inside the node test them
// with errors.Is.
var (
	ErrTxDecode           = errors.New("malformed transaction")
	ErrTxTooLarge         = errors.New("transaction too large")
	ErrUnsupportedVersion = errors.New("unsupported transaction version")
	ErrWrongChainID       = errors.New("wrong chain id")
	ErrBadSignature       = errors.New("signature verification failed")
	ErrSequenceReplayed   = errors.New("sequence already used (replayed transaction)")
	ErrSequenceSkipped    = errors.New("sequence skipped (a transaction is missing before this one)")
	ErrFeeTooLow          = errors.New("fee too low")
	ErrWrongDenom         = errors.New("wrong denomination")
	ErrInsufficientFunds  = errors.New("insufficient funds")
	ErrUnknownMessage     = errors.New("unknown message type")
	ErrInvalidMessage     = errors.New("invalid message")
	ErrUnauthorized       = errors.New("message not signed by its sender")
	ErrOutOfGas           = errors.New("out of gas")
	ErrGasLimit           = errors.New("gas limit out of range")
	ErrUnknownValidator   = errors.New("unknown validator")
	ErrInsufficientBond   = errors.New("insufficient bonded amount")
	ErrLastValidator      = errors.New("unbond would leave the network without voting power")
	ErrNoMessages         = errors.New("transaction has no messages")
	ErrPubKeyMismatch     = errors.New("signer key does not match the account's key")
	ErrInternal           = errors.New("internal error")
	// ErrUnclassified is the code of a transaction that failed for a
	// reason no sentinel names: a gap in the classification, to be given
	// its own code, but still a failed transaction like any other (see
	// Code).
	ErrUnclassified = errors.New("transaction failed")
	// ErrNodeFault marks a failure of this node rather than of the
	// transaction (its enclave cannot serve the chain): like a failing
	// store (state.ErrStore) it stops the node instead of committing a
	// state that other nodes would not share.
	ErrNodeFault = errors.New("node fault")
	// ErrPanic: a message's handler panicked; the transaction fails.
	ErrPanic = errors.New("message handler panicked")
)

// codes maps each sentinel to its stable ABCI code. Code 0 is success and 1 is
// reserved for errors the application does not know (which should not occur).
var codes = []struct {
	err  error
	code uint32
}{
	{ErrTxDecode, 2},
	{ErrTxTooLarge, 3},
	{ErrUnsupportedVersion, 4},
	{ErrWrongChainID, 5},
	{ErrBadSignature, 6},
	{ErrSequenceReplayed, 7},
	{ErrSequenceSkipped, 8},
	{ErrFeeTooLow, 9},
	{ErrWrongDenom, 10},
	{ErrInsufficientFunds, 11},
	{ErrUnknownMessage, 12},
	{ErrInvalidMessage, 13},
	{ErrUnauthorized, 14},
	{ErrOutOfGas, 15},
	{ErrGasLimit, 16},
	{ErrUnknownValidator, 17},
	{ErrInsufficientBond, 18},
	{ErrLastValidator, 19},
	{ErrNoMessages, 20},
	{ErrPubKeyMismatch, 21},
	{ErrInternal, 22},
	{ErrAlreadyRegistered, 23},
	// A refused registration has the code of the enclave's reason; these
	// come before ErrRegistration, which they are wrapped with.
	{enclave.ErrBadReport, 24},
	{enclave.ErrSimulatedNotAllowed, 25},
	{enclave.ErrUnlistedMeasurement, 26},
	{enclave.ErrReportBinding, 27},
	{enclave.ErrUnknownReportType, 28},
	{ErrRegistration, 29},
	{ErrNotRegistered, 30},
	// Contract calls. The enclave's reasons for refusing an input come
	// before ErrContractInput, which wraps them.
	{cryptobox.ErrWrongCodeHash, 43},
	{cryptobox.ErrDecrypt, 44},
	{cryptobox.ErrLowOrder, 45},
	{cryptobox.ErrShortWire, 46},
	{cryptobox.ErrBadCodeHash, 47},
	// A contract's bad message or response: before the errors it may
	// wrap (an unknown callee, a refused input).
	{compute.ErrInvalidMsg, 49},
	{compute.ErrInvalidResponse, 50},
	{ErrContractFailed, 31},
	{ErrContractInput, 32},
	{ErrUnknownCode, 33},
	{ErrNoContract, 34},
	{ErrNotAdmin, 35},
	{ErrContractMsg, 36},
	{ErrInvalidCode, 37},
	{vm.ErrCapability, 38},
	{vm.ErrMissingExport, 39},
	{vm.ErrUnknownImport, 40},
	{vm.ErrCodeTooLarge, 41},
	{ErrNoCompute, 42},
	{compute.ErrCallDepth, 48},
	{ErrPanic, 51},
	{ErrUnclassified, codeUnclassified},
	{ErrHoldFull, 53},
	{ErrHoldExpired, 54},
	{compute.ErrCodeNotReady, 55},
	{compute.ErrCompileBacklog, 56},
}

// CodeNodeFault is the code of a failure of the node itself: its store
// (state.ErrStore) or its enclave (ErrNodeFault). It is the only result
// FinalizeBlock stops on; it has no codespace.
const CodeNodeFault = 1

const codeUnclassified = 52

// Code returns the ABCI result code of err: 0 for nil, CodeNodeFault for a
// failure of the node's store or enclave, the sentinel's code for an error
// that wraps one, and ErrUnclassified's otherwise. Whatever a transaction
// or a contract causes is therefore a coded, failed transaction; only the
// node's own faults stop it.
func Code(err error) uint32 {
	if err == nil {
		return 0
	}
	if isNodeFault(err) {
		return CodeNodeFault
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return codeUnclassified
}

func isNodeFault(err error) bool {
	return errors.Is(err, state.ErrStore) || errors.Is(err, ErrNodeFault) || errors.Is(err, enclave.ErrNoSeed)
}

// ErrorForCode returns the sentinel error for an ABCI code, for clients that
// receive a code and a log and want errors.Is to work.
func ErrorForCode(code uint32, log string) error {
	if code == 0 {
		return nil
	}
	for _, c := range codes {
		if c.code == code {
			return &codedError{sentinel: c.err, log: log}
		}
	}
	return fmt.Errorf("error code %d: %s", code, log)
}

// codedError is an error received as a code and a log: it reads as the log and
// matches its sentinel with errors.Is.
type codedError struct {
	sentinel error
	log      string
}

func (e *codedError) Error() string { return e.log }
func (e *codedError) Unwrap() error { return e.sentinel }
