package compute

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/enclave/sim"
	"github.com/hermetic-chain/hermetic/internal/wat"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
	"github.com/hermetic-chain/hermetic/vm"
)

// testBank keeps balances in the state under 0x01 ‖ raw address, as the
// app does.
type testBank struct{}

func (testBank) key(a []byte) []byte { return append([]byte{0x01}, a...) }

func (b testBank) balance(s state.Store, a []byte) uint64 {
	v, _ := s.Get(b.key(a))
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func (b testBank) Transfer(s state.Store, from, to []byte, n uint64) error {
	fb := b.balance(s, from)
	if fb < n {
		return fmt.Errorf("insufficient funds: %d < %d", fb, n)
	}
	if err := s.Set(b.key(from), binary.BigEndian.AppendUint64(nil, fb-n)); err != nil {
		return err
	}
	return s.Set(b.key(to), binary.BigEndian.AppendUint64(nil, b.balance(s, to)+n))
}

// contractWAT is a contract for the module's tests. instantiate stores its
// message under "init"; execute answers data "hello", an attribute and a
// bank send of 5uherm to payee — or {"error":"secret failure"} when its
// message starts with 'f'; query answers "query"; migrate answers ok.
func contractWAT(payee string) string {
	exec := fmt.Sprintf(`{"ok":{"messages":[{"id":0,"msg":{"bank":{"send":{"to_address":"%s","amount":[{"denom":"uherm","amount":"5"}]}}},"reply_on":"never"}],"attributes":[{"key":"action","value":"exec"}],"events":[],"data":"aGVsbG8="}}`, payee)
	fail := `{"error":"secret failure"}`
	query := `{"ok":"cXVlcnk="}`
	okr := `{"ok":{"messages":[],"attributes":[],"events":[]}}`
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	return fmt.Sprintf(`(module
  (import "env" "db_write" (func $db_write (param i32 i32)))
`+wat.ContractPrelude+`  (data (i32.const 1000) "init")
  (data (i32.const 1024) %[1]s)
  (data (i32.const 2048) %[2]s)
  (data (i32.const 4096) %[3]s)
  (data (i32.const 4200) %[4]s)
  (func (export "instantiate") (param i32) (param i32) (param $msg i32) (result i32)
    (call $db_write (call $region (i32.const 1000) (i32.const 4)) (local.get $msg))
    (call $region (i32.const 4200) (i32.const %[8]d)))
  (func (export "execute") (param i32) (param i32) (param $msg i32) (result i32)
    (if (result i32) (i32.eq (i32.load8_u (i32.load (local.get $msg))) (i32.const 102))
      (then (call $region (i32.const 2048) (i32.const %[6]d)))
      (else (call $region (i32.const 1024) (i32.const %[5]d)))))
  (func (export "query") (param i32 i32) (result i32)
    (call $region (i32.const 4096) (i32.const %[7]d)))
  (func (export "migrate") (param i32 i32) (result i32)
    (call $region (i32.const 4200) (i32.const %[8]d))))`,
		q(exec), q(fail), q(query), q(okr), len(exec), len(fail), len(query), len(okr))
}

type fixture struct {
	k      *Keeper
	s      state.Store
	e      *sim.Enclave
	txKey  []byte
	block  Block
	alice  keys.Address
	payee  keys.Address
	codeID uint64
	hash   [32]byte
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	v, err := vm.New(ctx, vm.Config{CacheDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { v.Close(ctx) })
	e, err := sim.Open(t.TempDir(), nil)
	require.NoError(t, err)
	nk, err := e.Bootstrap(ctx)
	require.NoError(t, err)
	tr, err := state.Open(t.TempDir(), state.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	f := &fixture{k: NewKeeper(v, e, testBank{}), s: state.NewCache(tr), e: e, txKey: nk.TxKey,
		block: Block{Height: 3, Time: time.Unix(1_700_000_000, 0), ChainID: "compute-test", Pos: &cryptobox.WritePos{Height: 3}},
		alice: keys.Address{0xa1}, payee: keys.Address{0xb2}}
	t.Cleanup(f.k.Close) // before the VM closes
	require.NoError(t, f.s.Set(append([]byte{0x01}, f.alice[:]...), binary.BigEndian.AppendUint64(nil, 1000)))
	bin, err := wat.Compile(contractWAT(f.payee.String()))
	require.NoError(t, err)
	id, info, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, bin, noCharge)
	require.NoError(t, err)
	f.codeID = id
	f.hash, err = info.Hash()
	require.NoError(t, err)
	return f
}

func (f *fixture) encrypt(t *testing.T, msg string) ([]byte, *cryptobox.Session) {
	t.Helper()
	wire, sess, err := cryptobox.EncryptInput(rand.Reader, f.txKey, f.hash, []byte(msg))
	require.NoError(t, err)
	return wire, sess
}

func TestConfidentialLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	wire, _ := f.encrypt(t, `{"secret":"machine-7 calibration"}`)
	addr, res, err := f.k.Instantiate(ctx, f.s, f.block, &tx.MsgInstantiate{Sender: f.alice, CodeID: f.codeID, Label: "c", Admin: f.alice,
		Msg: wire, Funds: tx.Coin{Denom: tx.Denom, Amount: 100}}, 10_000_000)
	require.NoError(t, err)
	require.True(t, res.Encrypted)
	require.Positive(t, res.GasUsed)
	info, err := Contract(f.s, addr)
	require.NoError(t, err)
	require.Equal(t, f.codeID, info.CodeID)

	// The stored state holds no plaintext.
	it, err := contractStore(f.s, addr).Iterator(nil, nil, false)
	require.NoError(t, err)
	for ; it.Valid(); it.Next() {
		require.NotContains(t, string(it.Key()), "init")
		require.NotContains(t, string(it.Value()), "calibration")
	}
	it.Close()

	// Execute: data and attributes come back encrypted for the sender; the
	// bank send runs from the contract's balance.
	wire, sess := f.encrypt(t, `{"go":{}}`)
	res, err = f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: wire}, 10_000_000)
	require.NoError(t, err)
	data, err := sess.DecryptOutput(res.Data)
	require.NoError(t, err)
	require.Equal(t, "hello", string(data))
	require.Len(t, res.Attributes, 1)
	for field, want := range map[string]string{res.Attributes[0].Key: "action", res.Attributes[0].Value: "exec"} {
		ct, err := base64.StdEncoding.DecodeString(field)
		require.NoError(t, err)
		pt, err := sess.DecryptOutput(ct)
		require.NoError(t, err)
		require.Equal(t, want, string(pt))
	}
	require.Equal(t, uint64(5), testBank{}.balance(f.s, f.payee[:]))
	require.Equal(t, uint64(95), testBank{}.balance(f.s, addr[:]))

	// A contract error comes back encrypted; it names nothing in clear.
	wire, sess = f.encrypt(t, `f`)
	_, err = f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: wire}, 10_000_000)
	require.ErrorIs(t, err, ErrContractFailed)
	require.NotContains(t, err.Error(), "secret failure")
	_, b64, ok := cut(err.Error(), EncryptedPrefix)
	require.True(t, ok)
	ct, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	pt, err := sess.DecryptOutput(ct)
	require.NoError(t, err)
	require.Contains(t, string(pt), "secret failure")

	// Query, encrypted both ways.
	wire, sess = f.encrypt(t, `{"get":{}}`)
	ans, _, err := f.k.Query(ctx, f.s, f.block, addr, wire, false, 10_000_000)
	require.NoError(t, err)
	pt, err = sess.DecryptOutput(ans)
	require.NoError(t, err)
	require.Equal(t, "query", string(pt))

	// Plaintext, when the transaction says so.
	res, err = f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
	require.NoError(t, err)
	require.False(t, res.Encrypted)
	require.Equal(t, "hello", string(res.Data))
	require.Equal(t, "action", res.Attributes[0].Key)

	// Migrate: admin only; the contract keeps its address.
	_, err = f.k.Migrate(ctx, f.s, f.block, &tx.MsgMigrate{Sender: f.payee, Contract: addr, CodeID: f.codeID, Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
	require.ErrorIs(t, err, ErrNotAdmin)
	_, err = f.k.Migrate(ctx, f.s, f.block, &tx.MsgMigrate{Sender: f.alice, Contract: addr, CodeID: f.codeID, Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
	require.NoError(t, err)
}

func cut(s, sep string) (string, string, bool) {
	for i := 0; i+len(sep) <= len(s); i++ {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

func TestRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	addr, _, err := f.k.Instantiate(ctx, f.s, f.block, &tx.MsgInstantiate{Sender: f.alice, CodeID: f.codeID, Label: "c", Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
	require.NoError(t, err)

	other := f.hash
	other[0] ^= 1
	wrongHash, _, err := cryptobox.EncryptInput(rand.Reader, f.txKey, other, []byte(`{}`))
	require.NoError(t, err)
	good, _ := f.encrypt(t, `{}`)
	tampered := append([]byte{}, good...)
	tampered[len(tampered)-1] ^= 1

	cases := []struct {
		name string
		run  func() error
		want error
	}{
		{"wrong code hash", func() error {
			_, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: wrongHash}, 10_000_000)
			return err
		}, cryptobox.ErrWrongCodeHash},
		{"tampered input", func() error {
			_, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: tampered}, 10_000_000)
			return err
		}, cryptobox.ErrDecrypt},
		{"plaintext not declared", func() error {
			_, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: []byte(`{"x":1}`)}, 10_000_000)
			return err
		}, ErrInput},
		{"unknown contract", func() error {
			_, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: keys.ContractAddress{9}, Msg: good}, 10_000_000)
			return err
		}, ErrUnknownContract},
		{"unknown code", func() error {
			_, _, err := f.k.Instantiate(ctx, f.s, f.block, &tx.MsgInstantiate{Sender: f.alice, CodeID: 99, Label: "x", Msg: good}, 10_000_000)
			return err
		}, ErrUnknownCode},
		{"out of gas", func() error {
			_, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: []byte(`{}`), Plaintext: true}, 100)
			return err
		}, vm.ErrOutOfGas},
		{"funds the sender lacks", func() error {
			_, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.payee, Contract: addr, Msg: []byte(`{}`), Plaintext: true,
				Funds: tx.Coin{Denom: tx.Denom, Amount: 1}}, 10_000_000)
			return err
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			require.Error(t, err)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
	// The enclave refuses an input for a contract it has no seeds for.
	empty, err := sim.Open(t.TempDir(), nil)
	require.NoError(t, err)
	k2 := NewKeeper(f.k.vm, empty, testBank{})
	_, err = k2.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: good}, 10_000_000)
	require.ErrorIs(t, err, enclave.ErrNoSeed)
}

// staticContract answers instantiate with an empty response and execute
// with the given ContractResult JSON.
func staticContract(t *testing.T, execute string) []byte {
	t.Helper()
	return replyContract(t, execute, `{"ok":{"messages":[],"attributes":[],"events":[]}}`)
}

// replyContract is staticContract with a reply entry point answering reply.
func replyContract(t *testing.T, execute, reply string) []byte {
	t.Helper()
	okr := `{"ok":{"messages":[],"attributes":[],"events":[]}}`
	bin, err := wat.Compile(fmt.Sprintf(`(module
`+wat.ContractPrelude+`  (data (i32.const 1024) %q)
  (data (i32.const 4096) %q)
  (data (i32.const 8192) %q)
  (func (export "instantiate") (param i32 i32 i32) (result i32) (call $region (i32.const 1024) (i32.const %d)))
  (func (export "execute") (param i32 i32 i32) (result i32) (call $region (i32.const 4096) (i32.const %d)))
  (func (export "reply") (param i32 i32) (result i32) (call $region (i32.const 8192) (i32.const %d))))`,
		okr, execute, reply, len(okr), len(execute), len(reply)))
	require.NoError(t, err)
	return bin
}

func callMsg(to keys.ContractAddress, msg string) string { return callMsgReply(to, msg, "never") }

func callMsgReply(to keys.ContractAddress, msg, replyOn string) string {
	return fmt.Sprintf(`{"ok":{"messages":[{"id":7,"msg":{"wasm":{"execute":{"contract_addr":"%s","msg":"%s","funds":[]}}},"reply_on":"%s"}],"attributes":[],"events":[]}}`,
		to, base64.StdEncoding.EncodeToString([]byte(msg)), replyOn)
}

// TestContractCallsContract: a contract's message to another contract is
// encrypted for the callee on the sender's behalf, so the callee's outputs
// reach the original sender encrypted; calls are depth-limited.
func TestContractCallsContract(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	callee, _, err := f.k.Instantiate(ctx, f.s, f.block, &tx.MsgInstantiate{Sender: f.alice, CodeID: f.codeID, Label: "callee",
		Msg: []byte(`{}`), Plaintext: true, Funds: tx.Coin{Denom: tx.Denom, Amount: 50}}, 10_000_000)
	require.NoError(t, err)

	id, info, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, staticContract(t, callMsg(callee, `{"go":{}}`)), noCharge)
	require.NoError(t, err)
	hash, err := info.Hash()
	require.NoError(t, err)
	caller, _, err := f.k.Instantiate(ctx, f.s, f.block, &tx.MsgInstantiate{Sender: f.alice, CodeID: id, Label: "caller", Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
	require.NoError(t, err)

	wire, sess, err := cryptobox.EncryptInput(rand.Reader, f.txKey, hash, []byte(`{"call":{}}`))
	require.NoError(t, err)
	res, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: caller, Msg: wire}, 20_000_000)
	require.NoError(t, err)
	require.Equal(t, uint64(5), testBank{}.balance(f.s, f.payee[:]), "the callee's bank send ran")
	require.Len(t, res.Attributes, 1, "the callee's attribute")
	ct, err := base64.StdEncoding.DecodeString(res.Attributes[0].Key)
	require.NoError(t, err)
	pt, err := sess.DecryptOutput(ct)
	require.NoError(t, err)
	require.Equal(t, "action", string(pt), "the callee encrypted for the original sender")

	// A contract that calls itself stops at the depth limit.
	self := Address(id+1, 3)
	sid, _, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, staticContract(t, callMsg(self, `{}`)), noCharge)
	require.NoError(t, err)
	got, _, err := f.k.Instantiate(ctx, f.s, f.block, &tx.MsgInstantiate{Sender: f.alice, CodeID: sid, Label: "loop", Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
	require.NoError(t, err)
	require.Equal(t, self, got)
	_, err = f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: self, Msg: []byte(`{}`), Plaintext: true}, 1<<40)
	require.ErrorIs(t, err, ErrCallDepth)
}

// TestReplies: a sub-message with reply_on runs in its own cache, and the
// caller's reply entry point hears how it went; its answer is encrypted
// for the original sender like the rest.
func TestReplies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	callee, _, err := f.k.Instantiate(ctx, f.s, f.block, &tx.MsgInstantiate{Sender: f.alice, CodeID: f.codeID, Label: "callee",
		Msg: []byte(`{}`), Plaintext: true, Funds: tx.Coin{Denom: tx.Denom, Amount: 50}}, 10_000_000)
	require.NoError(t, err)
	replied := `{"ok":{"messages":[],"attributes":[{"key":"replied","value":"yes"}],"events":[],"data":"cmVwbGllZA=="}}`
	deploy := func(msg, replyOn string) (keys.ContractAddress, [32]byte) {
		id, info, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, replyContract(t, callMsgReply(callee, msg, replyOn), replied), noCharge)
		require.NoError(t, err)
		hash, err := info.Hash()
		require.NoError(t, err)
		addr, _, err := f.k.Instantiate(ctx, f.s, f.block, &tx.MsgInstantiate{Sender: f.alice, CodeID: id, Label: "caller", Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
		require.NoError(t, err)
		return addr, hash
	}
	exec := func(addr keys.ContractAddress, hash [32]byte) (Result, *cryptobox.Session, error) {
		wire, sess, err := cryptobox.EncryptInput(rand.Reader, f.txKey, hash, []byte(`{}`))
		require.NoError(t, err)
		res, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: wire}, 50_000_000)
		return res, sess, err
	}

	// Success, reply always: the reply's data replaces the caller's.
	addr, hash := deploy(`{"go":{}}`, "always")
	res, sess, err := exec(addr, hash)
	require.NoError(t, err)
	data, err := sess.DecryptOutput(res.Data)
	require.NoError(t, err)
	require.Equal(t, "replied", string(data))
	require.Equal(t, uint64(5), testBank{}.balance(f.s, f.payee[:]))
	require.Len(t, res.Attributes, 2, "the callee's and the reply's")

	// The callee fails, reply on error: the transaction goes on, the reply
	// runs, nothing of the callee stays.
	addr, hash = deploy(`f`, "error")
	res, sess, err = exec(addr, hash)
	require.NoError(t, err)
	data, err = sess.DecryptOutput(res.Data)
	require.NoError(t, err)
	require.Equal(t, "replied", string(data))
	require.Equal(t, uint64(5), testBank{}.balance(f.s, f.payee[:]))

	// reply on success only: the callee's failure fails the call.
	addr, hash = deploy(`f`, "success")
	_, _, err = exec(addr, hash)
	require.ErrorIs(t, err, ErrContractFailed)

	// reply_on nonsense is refused, and the contract's writes with it.
	addr, hash = deploy(`{"go":{}}`, "sometimes")
	_, _, err = exec(addr, hash)
	require.ErrorIs(t, err, ErrInvalidResponse)
}
