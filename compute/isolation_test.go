package compute

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/internal/wat"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// Tenant isolation (docs/access.md, "Tenant isolation"): two organisations
// each run the Go token (contracts/token) through the keeper, with the real
// simulated enclave and the real VM — X for organisation A, Y for
// organisation B — and alice holds tokens in both. The tests show that
// nothing one tenant holds is readable by the other's contracts, queries or
// credentials, nor by the node operator.

// isoGas is the VM gas of each call: a Go contract's call runs millions of
// instructions.
const isoGas = 1 << 40

// Alice's balances at instantiation: distinctive numbers, so that
// TestIsolationOperatorSeesNoPlaintext can look for them in the raw state.
const (
	aliceInX = "7654321"
	aliceInY = "55555"
)

// Error texts as the sender decrypts them: the runner prefixes a
// contract's own error with "contract error: ".
func contractErr(msg string) string { return "contract error: " + msg }

type tenants struct {
	f         *fixture
	ctx       context.Context
	tokenHash [32]byte
	orgA      keys.Address // organisation A: runs X
	orgB      keys.Address // organisation B: runs Y
	aliceKey  keys.PrivKey // alice's account key: she signs permits with it
	aliceAddr keys.Address
	alice     string // alice's address as the token keys her account
	bob       keys.Address
	x, y      keys.ContractAddress
}

// newTenants is the compute fixture with the Go token stored by each
// organisation (the same code, so the same code hash) and instantiated
// once by each, with encrypted instantiate messages.
func newTenants(t *testing.T) *tenants {
	t.Helper()
	f := newFixture(t)
	tn := &tenants{f: f, ctx: context.Background(), orgA: keys.Address{0xA0, 0x0A}, orgB: keys.Address{0xB0, 0x0B}, bob: keys.Address{0xB0, 0xB0}}
	var err error
	tn.aliceKey, err = keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	tn.aliceAddr = tn.aliceKey.PubKey().Address()
	tn.alice = tn.aliceAddr.String()
	// The permit's signer is the account of the key that signs it.
	signer, err := contract.PermitSigner(contract.PermitPubKey{Type: contract.PermitKeyEd25519, Value: tn.aliceKey.PubKey().Key})
	require.NoError(t, err)
	require.Equal(t, tn.alice, signer)

	wasm := contracttest.Build(t, "../contracts/token")
	deploy := func(org keys.Address, label, name, symbol, balance string) keys.ContractAddress {
		id, info, err := f.k.StoreCode(tn.ctx, f.s, f.block, org, wasm, noCharge)
		require.NoError(t, err)
		require.True(t, info.ReadyAt.After(f.block.Time), "a Go contract is compiled in the background")
		f.k.CompileStored(f.s)
		f.block.Time = info.ReadyAt // the block in which it can be used
		tn.tokenHash, err = info.Hash()
		require.NoError(t, err)
		seed := make([]byte, 32)
		_, _ = rand.Read(seed)
		init, err := json.Marshal(map[string]any{"name": name, "symbol": symbol, "decimals": 6,
			"initial_balances": []map[string]string{{"address": tn.alice, "amount": balance}}, "prng_seed": seed})
		require.NoError(t, err)
		wire, _, err := cryptobox.EncryptInput(rand.Reader, f.txKey, tn.tokenHash, init)
		require.NoError(t, err)
		addr, _, err := f.k.Instantiate(tn.ctx, f.s, f.block, &tx.MsgInstantiate{Sender: org, CodeID: id, Label: label, Admin: org, Msg: wire}, isoGas)
		require.NoError(t, err)
		return addr
	}
	tn.x = deploy(tn.orgA, "org-a/ledger", "Acme Ledger Token", "ACMEX", aliceInX)
	tn.y = deploy(tn.orgB, "org-b/ledger", "Borealis Credits", "BORC", aliceInY)
	require.NotEqual(t, tn.x, tn.y)
	return tn
}

// openError decrypts a contract error the keeper returned encrypted for
// sess ("… contract failed: encrypted: <base64>").
func openError(t *testing.T, sess *cryptobox.Session, err error) string {
	t.Helper()
	require.ErrorIs(t, err, ErrContractFailed)
	_, b64, ok := strings.Cut(err.Error(), EncryptedPrefix)
	require.True(t, ok, "not an encrypted contract error: %v", err)
	ct, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	pt, err := sess.DecryptOutput(ct)
	require.NoError(t, err)
	return strings.TrimRight(string(pt), " ") // the enclave pads errors with spaces
}

// exec runs an encrypted execute of the contract (whose code hash is hash)
// by sender, and returns the decrypted data (the token pads it with
// spaces: trimmed) or, when the contract refused, its decrypted error.
func (tn *tenants) exec(t *testing.T, sender keys.Address, to keys.ContractAddress, hash [32]byte, msg string) (data, refusal string) {
	t.Helper()
	wire, sess, err := cryptobox.EncryptInput(rand.Reader, tn.f.txKey, hash, []byte(msg))
	require.NoError(t, err)
	res, err := tn.f.k.Execute(tn.ctx, tn.f.s, tn.f.block, &tx.MsgExecute{Sender: sender, Contract: to, Msg: wire}, isoGas)
	if err != nil {
		return "", openError(t, sess, err)
	}
	if res.Data == nil {
		return "", ""
	}
	pt, err := sess.DecryptOutput(res.Data)
	require.NoError(t, err)
	return strings.TrimRight(string(pt), " "), ""
}

// execOK is exec that must succeed.
func (tn *tenants) execOK(t *testing.T, sender keys.Address, to keys.ContractAddress, msg string) string {
	t.Helper()
	data, refusal := tn.exec(t, sender, to, tn.tokenHash, msg)
	require.Empty(t, refusal, msg)
	return data
}

// query runs an encrypted query of a token, as a client does, and returns
// the decrypted answer (trimmed of its padding) or the decrypted refusal.
func (tn *tenants) query(t *testing.T, of keys.ContractAddress, msg string) (answer, refusal string) {
	t.Helper()
	wire, sess, err := cryptobox.EncryptInput(rand.Reader, tn.f.txKey, tn.tokenHash, []byte(msg))
	require.NoError(t, err)
	ans, _, err := tn.f.k.Query(tn.ctx, tn.f.s, tn.f.block, of, wire, false, isoGas)
	if err != nil {
		return "", openError(t, sess, err)
	}
	pt, err := sess.DecryptOutput(ans)
	require.NoError(t, err)
	return strings.TrimRight(string(pt), " "), ""
}

func (tn *tenants) sign(t *testing.T, p contract.PermitParams) contract.Permit {
	t.Helper()
	sig, err := tn.aliceKey.Sign(contract.PermitSignBytes(p))
	require.NoError(t, err)
	return contract.Permit{Params: p, Signature: contract.PermitSignature{
		PubKey: contract.PermitPubKey{Type: contract.PermitKeyEd25519, Value: tn.aliceKey.PubKey().Key}, Signature: sig}}
}

func permitQuery(t *testing.T, p contract.Permit, q string) string {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return `{"with_permit":{"permit":` + string(b) + `,"query":` + q + `}}`
}

func balanceAnswer(amount string) string { return `{"balance":{"amount":"` + amount + `"}}` }

// TestIsolationPermitIsBoundToItsContract: a permit alice signed for X
// reads her balance in X and is refused by Y (and one for Y by X) with the
// token's ErrPermitContract; it cannot be widened to Y after signing, and
// it is bound to the chain too. A permit for "*" reads the signer's own
// data in every contract — by design: the signer chose to grant it — and
// revoking it in one contract does not revoke it in another.
func TestIsolationPermitIsBoundToItsContract(t *testing.T) {
	tn := newTenants(t)
	now := uint64(tn.f.block.Time.Unix())
	params := func(name string, contracts ...string) contract.PermitParams {
		return contract.PermitParams{ChainID: tn.f.block.ChainID, PermitName: name, AllowedContracts: contracts,
			Permissions: []string{"balance"}, Created: now - 60, Expires: now + 3600}
	}
	forX := tn.sign(t, params("for-x", tn.x.String()))
	forY := tn.sign(t, params("for-y", tn.y.String()))
	anyContract := tn.sign(t, params("any", contract.PermitAnyContract))
	none := tn.sign(t, params("none"))
	otherChainParams := params("for-x", tn.x.String())
	otherChainParams.ChainID = "other-chain"
	otherChain := tn.sign(t, otherChainParams)
	historyOnlyParams := params("for-x", tn.x.String())
	historyOnlyParams.Permissions = []string{"history"}
	historyOnly := tn.sign(t, historyOnlyParams)
	// Y added to X's permit after alice signed it.
	widened := tn.sign(t, params("for-x", tn.x.String()))
	widened.Params.AllowedContracts = []string{tn.x.String(), tn.y.String()}

	notFor := func(c keys.ContractAddress) string {
		return contractErr(fmt.Sprintf("%v: %s", contract.ErrPermitContract, c))
	}
	require.Equal(t, "permit: not valid for this contract", contract.ErrPermitContract.Error())
	cases := []struct {
		name    string
		permit  contract.Permit
		on      keys.ContractAddress
		answer  string
		refusal string
	}{
		{"permit for X on X", forX, tn.x, balanceAnswer(aliceInX), ""},
		{"permit for X on Y", forX, tn.y, "", notFor(tn.y)},
		{"permit for Y on Y", forY, tn.y, balanceAnswer(aliceInY), ""},
		{"permit for Y on X", forY, tn.x, "", notFor(tn.x)},
		{"permit for no contract on X", none, tn.x, "", notFor(tn.x)},
		{"permit for X widened to Y, on Y", widened, tn.y, "", contractErr(contract.ErrPermitSignature.Error())},
		{"permit for X on another chain", otherChain, tn.x, "",
			contractErr(fmt.Sprintf("%v: permit for %q, chain is %q", contract.ErrPermitChain, "other-chain", tn.f.block.ChainID))},
		{"permit for X without balance", historyOnly, tn.x, "", contractErr(fmt.Sprintf("%v: %q", contract.ErrPermitPermission, "balance"))},
		// By design: "*" grants the signer's own data in any contract, and
		// each contract answers only what it holds of the signer.
		{`permit for "*" on X`, anyContract, tn.x, balanceAnswer(aliceInX), ""},
		{`permit for "*" on Y`, anyContract, tn.y, balanceAnswer(aliceInY), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answer, refusal := tn.query(t, c.on, permitQuery(t, c.permit, `{"balance":{}}`))
			require.Equal(t, c.refusal, refusal)
			require.JSONEq(t, orEmpty(c.answer), orEmpty(answer))
			if c.refusal != "" {
				require.NotContains(t, refusal, aliceInX)
				require.NotContains(t, refusal, aliceInY)
			}
		})
	}

	// Revocations are kept in each contract's own state: revoking "any" in
	// X refuses it there, and Y still honours it.
	require.JSONEq(t, `{"revoke_permit":{"status":"success"}}`, tn.execOK(t, tn.aliceAddr, tn.x, `{"revoke_permit":{"permit_name":"any"}}`))
	_, refusal := tn.query(t, tn.x, permitQuery(t, anyContract, `{"balance":{}}`))
	require.Equal(t, contractErr(fmt.Sprintf("%v: %q", contract.ErrPermitRevoked, "any")), refusal)
	answer, refusal := tn.query(t, tn.y, permitQuery(t, anyContract, `{"balance":{}}`))
	require.Empty(t, refusal)
	require.JSONEq(t, balanceAnswer(aliceInY), answer)
}

func orEmpty(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// TestIsolationViewingKeyIsPerContract: a viewing key alice sets (or has
// created) in X opens her balance in X and nothing in Y, where it gets
// exactly the answer of a wrong key and of no key at all.
func TestIsolationViewingKeyIsPerContract(t *testing.T) {
	tn := newTenants(t)
	const k = "alice-key-for-org-a"
	require.JSONEq(t, `{"set_viewing_key":{"status":"success"}}`, tn.execOK(t, tn.aliceAddr, tn.x, `{"set_viewing_key":{"key":"`+k+`"}}`))
	var created struct {
		CreateViewingKey struct {
			Key string `json:"key"`
		} `json:"create_viewing_key"`
	}
	// bob has the contract create one in X.
	require.NoError(t, json.Unmarshal([]byte(tn.execOK(t, tn.bob, tn.x, `{"create_viewing_key":{"entropy":"bob's dice"}}`)), &created))
	bobKey := created.CreateViewingKey.Key
	require.True(t, strings.HasPrefix(bobKey, contract.ViewingKeyPrefix))

	balance := func(addr, key string) string {
		return fmt.Sprintf(`{"balance":{"address":%q,"key":%q}}`, addr, key)
	}
	wrongKey := contractErr(contract.ErrViewingKey.Error())
	require.Equal(t, "contract error: wrong viewing key", wrongKey)
	cases := []struct {
		name    string
		on      keys.ContractAddress
		query   string
		answer  string
		refusal string
	}{
		{"alice's key in X", tn.x, balance(tn.alice, k), balanceAnswer(aliceInX), ""},
		{"alice's key from X in Y", tn.y, balance(tn.alice, k), "", wrongKey},
		{"a wrong key in Y", tn.y, balance(tn.alice, k+"-wrong"), "", wrongKey},
		{"no key in Y", tn.y, `{"balance":{"address":"` + tn.alice + `"}}`, "", wrongKey},
		{"a wrong key in X", tn.x, balance(tn.alice, k+"-wrong"), "", wrongKey},
		{"no key in X", tn.x, `{"balance":{"address":"` + tn.alice + `"}}`, "", wrongKey},
		{"bob's created key in X", tn.x, balance(tn.bob.String(), bobKey), balanceAnswer("0"), ""},
		{"bob's created key from X in Y", tn.y, balance(tn.bob.String(), bobKey), "", wrongKey},
		{"alice's key from X for her history in Y", tn.y, `{"transfer_history":{"address":"` + tn.alice + `","key":"` + k + `"}}`, "", wrongKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answer, refusal := tn.query(t, c.on, c.query)
			require.Equal(t, c.refusal, refusal)
			require.JSONEq(t, orEmpty(c.answer), orEmpty(answer))
		})
	}

	// A key of her own in Y opens Y, and still not X with it.
	require.JSONEq(t, `{"set_viewing_key":{"status":"success"}}`, tn.execOK(t, tn.aliceAddr, tn.y, `{"set_viewing_key":{"key":"alice-key-for-org-b"}}`))
	answer, refusal := tn.query(t, tn.y, balance(tn.alice, "alice-key-for-org-b"))
	require.Empty(t, refusal)
	require.JSONEq(t, balanceAnswer(aliceInY), answer)
	_, refusal = tn.query(t, tn.x, balance(tn.alice, "alice-key-for-org-b"))
	require.Equal(t, wrongKey, refusal)
	_, refusal = tn.query(t, tn.y, balance(tn.alice, k))
	require.Equal(t, wrongKey, refusal)
}

// probeWAT is another organisation's contract trying to read X:
//
//   - query: msg is a QueryRequest; it calls query_chain with it and
//     answers {"ok": base64 of what the host returned};
//   - execute: msg is a mode byte and an argument: 'q' calls query_chain
//     with the argument, anything else db_reads the argument as a key;
//     the data is what came back (no data and the attribute found=no when
//     db_read found nothing);
//   - instantiate: db_writes "probe's own value" under the key that is its
//     message.
func probeWAT() string {
	const (
		alphabet   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		queryPre   = `{"ok":"`
		queryPost  = `"}`
		execPre    = `{"ok":{"messages":[],"attributes":[],"events":[],"data":"`
		execPost   = `"}}`
		notFound   = `{"ok":{"messages":[],"attributes":[{"key":"found","value":"no"}],"events":[]}}`
		okEmpty    = `{"ok":{"messages":[],"attributes":[],"events":[]}}`
		ownValue   = "probe's own value"
		aAlphabet  = 0
		aQueryPre  = 64
		aQueryPost = 80
		aExecPre   = 96
		aExecPost  = 256
		aNotFound  = 512
		aOK        = 1024
		aOwn       = 2048
	)
	return fmt.Sprintf(`(module
  (import "env" "db_read" (func $db_read (param i32) (result i32)))
  (import "env" "db_write" (func $db_write (param i32 i32)))
  (import "env" "query_chain" (func $query_chain (param i32) (result i32)))
`+wat.ContractPrelude+`
  (data (i32.const %d) %q)
  (data (i32.const %d) %q)
  (data (i32.const %d) %q)
  (data (i32.const %d) %q)
  (data (i32.const %d) %q)
  (data (i32.const %d) %q)
  (data (i32.const %d) %q)
  (data (i32.const %d) %q)
  ;; $quad writes the four base64 characters of the 24 bits v at o.
  (func $quad (param $o i32) (param $v i32)
    (i32.store8 (local.get $o) (i32.load8_u (i32.and (i32.shr_u (local.get $v) (i32.const 18)) (i32.const 63))))
    (i32.store8 offset=1 (local.get $o) (i32.load8_u (i32.and (i32.shr_u (local.get $v) (i32.const 12)) (i32.const 63))))
    (i32.store8 offset=2 (local.get $o) (i32.load8_u (i32.and (i32.shr_u (local.get $v) (i32.const 6)) (i32.const 63))))
    (i32.store8 offset=3 (local.get $o) (i32.load8_u (i32.and (local.get $v) (i32.const 63)))))
  ;; $b64 writes the standard base64 of [src, src+n) at dst and returns its length.
  (func $b64 (param $src i32) (param $n i32) (param $dst i32) (result i32)
    (local $i i32) (local $o i32) (local $v i32) (local $rem i32)
    (local.set $o (local.get $dst))
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 3)) (local.get $n)))
        (local.set $v (i32.or (i32.or
          (i32.shl (i32.load8_u (i32.add (local.get $src) (local.get $i))) (i32.const 16))
          (i32.shl (i32.load8_u offset=1 (i32.add (local.get $src) (local.get $i))) (i32.const 8)))
          (i32.load8_u offset=2 (i32.add (local.get $src) (local.get $i)))))
        (call $quad (local.get $o) (local.get $v))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 3)))
        (br $next)))
    (local.set $rem (i32.sub (local.get $n) (local.get $i)))
    (if (i32.gt_u (local.get $rem) (i32.const 0))
      (then
        (local.set $v (i32.shl (i32.load8_u (i32.add (local.get $src) (local.get $i))) (i32.const 16)))
        (if (i32.eq (local.get $rem) (i32.const 2))
          (then (local.set $v (i32.or (local.get $v)
            (i32.shl (i32.load8_u offset=1 (i32.add (local.get $src) (local.get $i))) (i32.const 8))))))
        (call $quad (local.get $o) (local.get $v))
        (i32.store8 offset=3 (local.get $o) (i32.const 61))
        (if (i32.eq (local.get $rem) (i32.const 1))
          (then (i32.store8 offset=2 (local.get $o) (i32.const 61))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))))
    (i32.sub (local.get $o) (local.get $dst)))
  ;; $wrap returns a region holding pre ‖ base64 of the region r's bytes ‖ post.
  (func $wrap (param $pre i32) (param $prelen i32) (param $r i32) (param $post i32) (param $postlen i32) (result i32)
    (local $out i32) (local $d i32) (local $o i32)
    (local.set $out (call $allocate (i32.add (i32.add (local.get $prelen) (local.get $postlen))
      (i32.add (i32.mul (i32.load offset=8 (local.get $r)) (i32.const 2)) (i32.const 8)))))
    (local.set $d (i32.load (local.get $out)))
    (memory.copy (local.get $d) (local.get $pre) (local.get $prelen))
    (local.set $o (i32.add (local.get $d) (local.get $prelen)))
    (local.set $o (i32.add (local.get $o)
      (call $b64 (i32.load (local.get $r)) (i32.load offset=8 (local.get $r)) (local.get $o))))
    (memory.copy (local.get $o) (local.get $post) (local.get $postlen))
    (local.set $o (i32.add (local.get $o) (local.get $postlen)))
    (i32.store offset=8 (local.get $out) (i32.sub (local.get $o) (local.get $d)))
    (local.get $out))
  (func (export "instantiate") (param i32) (param i32) (param $msg i32) (result i32)
    (call $db_write (local.get $msg) (call $region (i32.const %d) (i32.const %d)))
    (call $region (i32.const %d) (i32.const %d)))
  (func (export "query") (param i32) (param $msg i32) (result i32)
    (call $wrap (i32.const %d) (i32.const %d) (call $query_chain (local.get $msg)) (i32.const %d) (i32.const %d)))
  (func (export "execute") (param i32) (param i32) (param $msg i32) (result i32)
    (local $p i32) (local $arg i32) (local $v i32)
    (local.set $p (i32.load (local.get $msg)))
    (local.set $arg (call $region (i32.add (local.get $p) (i32.const 1))
      (i32.sub (i32.load offset=8 (local.get $msg)) (i32.const 1))))
    (if (result i32) (i32.eq (i32.load8_u (local.get $p)) (i32.const 113))
      (then (call $wrap (i32.const %d) (i32.const %d) (call $query_chain (local.get $arg)) (i32.const %d) (i32.const %d)))
      (else
        (local.set $v (call $db_read (local.get $arg)))
        (if (result i32) (i32.eqz (local.get $v))
          (then (call $region (i32.const %d) (i32.const %d)))
          (else (call $wrap (i32.const %d) (i32.const %d) (local.get $v) (i32.const %d) (i32.const %d))))))))`,
		aAlphabet, alphabet, aQueryPre, queryPre, aQueryPost, queryPost, aExecPre, execPre, aExecPost, execPost,
		aNotFound, notFound, aOK, okEmpty, aOwn, ownValue,
		aOwn, len(ownValue), aOK, len(okEmpty),
		aQueryPre, len(queryPre), aQueryPost, len(queryPost),
		aExecPre, len(execPre), aExecPost, len(execPost),
		aNotFound, len(notFound),
		aExecPre, len(execPre), aExecPost, len(execPost))
}

// deployProbe stores the probe for organisation B and instantiates it with
// initKey as its message.
func (tn *tenants) deployProbe(t *testing.T, initKey []byte) keys.ContractAddress {
	t.Helper()
	bin, err := wat.Compile(probeWAT())
	require.NoError(t, err)
	id, _, err := tn.f.k.StoreCode(tn.ctx, tn.f.s, tn.f.block, tn.orgB, bin, noCharge)
	require.NoError(t, err)
	addr, _, err := tn.f.k.Instantiate(tn.ctx, tn.f.s, tn.f.block, &tx.MsgInstantiate{Sender: tn.orgB, CodeID: id, Label: "org-b/probe",
		Msg: initKey, Plaintext: true}, isoGas)
	require.NoError(t, err)
	return addr
}

// storedKeys returns the keys of a contract's entries in the chain's state,
// after 0x49 ‖ address: what the contract's state keys encrypt to.
func (tn *tenants) storedKeys(t *testing.T, c keys.ContractAddress) [][]byte {
	t.Helper()
	it, err := contractStore(tn.f.s, c).Iterator(nil, nil, false)
	require.NoError(t, err)
	defer it.Close()
	var out [][]byte
	for ; it.Valid(); it.Next() {
		out = append(out, bytes.Clone(it.Key()))
	}
	require.NoError(t, it.Error())
	return out
}

// noQuerier is what the VM answers every query_chain with when the call
// has no Querier — and compute gives none: a SystemResult error.
const noQuerier = `{"error":{"unsupported_request":{"kind":"no querier"}}}`

// TestIsolationContractCannotReadAnother: organisation B's contract asks
// the chain for X's raw state and for X's answers (even with alice's valid
// viewing key and permit in the request) and is refused with a
// SystemResult error that holds nothing of X; and its own db_read of the
// keys X uses — plaintext or as stored — finds only its own state.
func TestIsolationContractCannotReadAnother(t *testing.T) {
	tn := newTenants(t)
	const k = "alice-key-for-org-a"
	tn.execOK(t, tn.aliceAddr, tn.x, `{"set_viewing_key":{"key":"`+k+`"}}`)
	// The token's plaintext key of alice's account record ("accounts" map).
	aliceAccount := contract.NamespaceKey([]byte("accounts"), []byte(tn.alice))
	permit := tn.sign(t, contract.PermitParams{ChainID: tn.f.block.ChainID, PermitName: "p", AllowedContracts: []string{tn.x.String()},
		Permissions: []string{"balance"}, Created: uint64(tn.f.block.Time.Unix()) - 60, Expires: uint64(tn.f.block.Time.Unix()) + 3600})
	// The credentials are good: X answers alice directly.
	answer, refusal := tn.query(t, tn.x, `{"balance":{"address":"`+tn.alice+`","key":"`+k+`"}}`)
	require.Empty(t, refusal)
	require.JSONEq(t, balanceAnswer(aliceInX), answer)

	probe := tn.deployProbe(t, []byte("probe/own"))
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	raw := func(key []byte) string {
		return fmt.Sprintf(`{"wasm":{"raw":{"contract_addr":%q,"key":%q}}}`, tn.x, b64(key))
	}
	smart := func(msg string) string {
		return fmt.Sprintf(`{"wasm":{"smart":{"contract_addr":%q,"msg":%q}}}`, tn.x, b64([]byte(msg)))
	}
	stored := tn.storedKeys(t, tn.x)
	require.NotEmpty(t, stored)
	requests := []struct{ name, req string }{
		{"raw: alice's account", raw(aliceAccount)},
		{"raw: the config item", raw([]byte("config"))},
		{"raw: an encrypted key as stored", raw(stored[0])},
		{"smart: balance with alice's viewing key", smart(`{"balance":{"address":"` + tn.alice + `","key":"` + k + `"}}`)},
		{"smart: balance with alice's permit", smart(permitQuery(t, permit, `{"balance":{}}`))},
		{"smart: token_info", smart(`{"token_info":{}}`)},
		{"contract_info", fmt.Sprintf(`{"wasm":{"contract_info":{"contract_addr":%q}}}`, tn.x)},
	}
	checkRefused := func(t *testing.T, got []byte) {
		t.Helper()
		require.Equal(t, noQuerier, string(got))
		var sr struct {
			Ok    json.RawMessage `json:"ok"`
			Error *struct {
				UnsupportedRequest *struct {
					Kind string `json:"kind"`
				} `json:"unsupported_request"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(got, &sr))
		require.Nil(t, sr.Ok)
		require.NotNil(t, sr.Error)
		require.NotNil(t, sr.Error.UnsupportedRequest)
		require.Equal(t, "no querier", sr.Error.UnsupportedRequest.Kind)
		for _, secret := range []string{aliceInX, tn.alice, "Acme", "ACMEX"} {
			require.NotContains(t, string(got), secret)
		}
	}
	for _, r := range requests {
		t.Run("query "+r.name, func(t *testing.T) {
			ans, _, err := tn.f.k.Query(tn.ctx, tn.f.s, tn.f.block, probe, []byte(r.req), true, isoGas)
			require.NoError(t, err)
			checkRefused(t, ans)
		})
		t.Run("execute "+r.name, func(t *testing.T) {
			res, err := tn.f.k.Execute(tn.ctx, tn.f.s, tn.f.block, &tx.MsgExecute{Sender: tn.orgB, Contract: probe,
				Msg: append([]byte("q"), r.req...), Plaintext: true}, isoGas)
			require.NoError(t, err)
			checkRefused(t, res.Data)
		})
	}

	// db_read: the probe's store is its own. The keys X uses — as the
	// token names them, and as they are stored, with or without X's
	// prefix — find nothing; the probe's own key finds its own value.
	read := func(t *testing.T, c keys.ContractAddress, key []byte) ([]byte, bool) {
		t.Helper()
		res, err := tn.f.k.Execute(tn.ctx, tn.f.s, tn.f.block, &tx.MsgExecute{Sender: tn.orgB, Contract: c,
			Msg: append([]byte("r"), key...), Plaintext: true}, isoGas)
		require.NoError(t, err)
		if len(res.Attributes) == 1 && res.Attributes[0].Key == "found" {
			require.Equal(t, "no", res.Attributes[0].Value)
			require.Nil(t, res.Data)
			return nil, false
		}
		return res.Data, true
	}
	xPrefix := append([]byte{prefixContractState}, tn.x[:]...)
	cases := []struct {
		name string
		key  []byte
	}{
		{"alice's account key", aliceAccount},
		{"the config item's key", []byte("config")},
		{"the viewing keys' seed key", []byte("viewing_key_seed")},
		{"alice's viewing key's key", contract.NamespaceKey([]byte("viewing_keys"), []byte(tn.alice))},
	}
	for i, sk := range stored {
		cases = append(cases,
			struct {
				name string
				key  []byte
			}{fmt.Sprintf("X's stored key %d", i), sk},
			struct {
				name string
				key  []byte
			}{fmt.Sprintf("X's stored key %d with X's prefix", i), append(bytes.Clone(xPrefix), sk...)})
	}
	for _, c := range cases {
		got, found := read(t, probe, c.key)
		require.False(t, found, "%s: the probe read %q", c.name, got)
	}
	got, found := read(t, probe, []byte("probe/own"))
	require.True(t, found)
	require.Equal(t, "probe's own value", string(got))

	// A probe that wrote under exactly the key of alice's account in X
	// reads its own value there, not alice's record.
	twin := tn.deployProbe(t, aliceAccount)
	got, found = read(t, twin, aliceAccount)
	require.True(t, found)
	require.Equal(t, "probe's own value", string(got))
	// … and X still reads alice's record under that key.
	answer, refusal = tn.query(t, tn.x, `{"balance":{"address":"`+tn.alice+`","key":"`+k+`"}}`)
	require.Empty(t, refusal)
	require.JSONEq(t, balanceAnswer(aliceInX), answer)
}

// TestIsolationOperatorSeesNoPlaintext: after transfers, allowances and
// viewing keys in X, the node operator's view — every entry of the
// compute module's state, 0x40 to 0x49 — holds none of alice's address,
// the amounts, the memo, the viewing key (or its hash), the token's name,
// or the storage names the token keys its state with; and the same
// plaintext keys in X and Y are stored under different keys.
func TestIsolationOperatorSeesNoPlaintext(t *testing.T) {
	tn := newTenants(t)
	const (
		k      = "alice-key-for-org-a"
		memo   = "PO-88412 turbine blades"
		sent   = "1234567"
		left   = "6419754" // 7654321 - 1234567
		allow  = "3141592"
		spent  = "271828"
		bobKey = "bob-key-for-org-a"
	)
	carol := keys.Address{0xCA, 0x70}
	tn.execOK(t, tn.aliceAddr, tn.x, `{"transfer":{"recipient":"`+tn.bob.String()+`","amount":"`+sent+`","memo":"`+memo+`"}}`)
	tn.execOK(t, tn.aliceAddr, tn.x, `{"set_viewing_key":{"key":"`+k+`"}}`)
	tn.execOK(t, tn.bob, tn.x, `{"set_viewing_key":{"key":"`+bobKey+`"}}`)
	tn.execOK(t, tn.aliceAddr, tn.x, `{"increase_allowance":{"spender":"`+carol.String()+`","amount":"`+allow+`"}}`)
	tn.execOK(t, carol, tn.x, `{"transfer_from":{"owner":"`+tn.alice+`","recipient":"`+carol.String()+`","amount":"`+spent+`"}}`)
	answer, refusal := tn.query(t, tn.x, `{"balance":{"address":"`+tn.bob.String()+`","key":"`+bobKey+`"}}`)
	require.Empty(t, refusal)
	require.JSONEq(t, balanceAnswer(sent), answer)

	kHash := sha256.Sum256([]byte(k))
	needles := map[string][]byte{
		"alice's address":           []byte(tn.alice),
		"alice's raw address":       tn.aliceAddr[:],
		"bob's address":             []byte(tn.bob.String()),
		"carol's address":           []byte(carol.String()),
		"alice's initial balance":   []byte(aliceInX),
		"alice's balance in Y":      []byte(aliceInY),
		"the amount sent":           []byte(sent),
		"alice's balance after":     []byte(left),
		"the allowance":             []byte(allow),
		"the amount spent":          []byte(spent),
		"the memo":                  []byte(memo),
		"the viewing key":           []byte(k),
		"the viewing key's SHA-256": kHash[:],
		"the token's name":          []byte("Acme Ledger"),
		"the token's symbol":        []byte("ACMEX"),
		"Y's name":                  []byte("Borealis"),
		`"balance"`:                 []byte("balance"),
		`"accounts"`:                []byte("accounts"),
		`"allowances"`:              []byte("allowances"),
		`"history"`:                 []byte("history"),
		`"config"`:                  []byte("config"),
		`"tx_count"`:                []byte("tx_count"),
		`"viewing_key"`:             []byte("viewing_key"),
		`"permit_"`:                 []byte("permit_"),
		"alice's account key":       contract.NamespaceKey([]byte("accounts"), []byte(tn.alice)),
	}
	it, err := tn.f.s.Iterator([]byte{prefixCode}, []byte{prefixContractState + 1}, false)
	require.NoError(t, err)
	defer it.Close()
	seen := map[byte]int{}
	for ; it.Valid(); it.Next() {
		key, value := it.Key(), it.Value()
		seen[key[0]]++
		if key[0] == prefixCodeBytes {
			continue // the module as uploaded: public code, with its own string constants
		}
		for what, n := range needles {
			require.False(t, bytes.Contains(key, n), "%s in the key %x", what, key)
			require.False(t, bytes.Contains(value, n), "%s in the value of %x", what, key)
		}
	}
	require.NoError(t, it.Error())
	require.Equal(t, 2, seen[prefixContract], "X's and Y's contract info")
	require.GreaterOrEqual(t, seen[prefixContractState], 10, "X's and Y's encrypted state")

	// Both tokens store "config", "viewing_key_seed" and alice's account
	// under the same plaintext keys; no stored key of X is one of Y's.
	ys := map[string]bool{}
	for _, sk := range tn.storedKeys(t, tn.y) {
		ys[string(sk)] = true
	}
	xs := tn.storedKeys(t, tn.x)
	require.NotEmpty(t, ys)
	for _, sk := range xs {
		require.False(t, ys[string(sk)], "X and Y store an entry under the same key %x", sk)
	}
}

// TestIsolationSubMessageActsAsCaller: a contract that sends X an execute
// message acts as itself — X sees the contract's address as the sender,
// even when alice herself calls it — so it cannot spend alice's tokens in
// X, only its own.
func TestIsolationSubMessageActsAsCaller(t *testing.T) {
	tn := newTenants(t)
	thief := tn.orgB
	deploy := func(msg string) (keys.ContractAddress, [32]byte) {
		id, info, err := tn.f.k.StoreCode(tn.ctx, tn.f.s, tn.f.block, tn.orgB, staticContract(t, callMsg(tn.x, msg)), noCharge)
		require.NoError(t, err)
		hash, err := info.Hash()
		require.NoError(t, err)
		addr, _, err := tn.f.k.Instantiate(tn.ctx, tn.f.s, tn.f.block, &tx.MsgInstantiate{Sender: tn.orgB, CodeID: id, Label: "org-b/relay",
			Msg: []byte(`{}`), Plaintext: true}, isoGas)
		require.NoError(t, err)
		return addr, hash
	}
	transfer := `{"transfer":{"recipient":"` + thief.String() + `","amount":"10"}}`
	transferFrom := `{"transfer_from":{"owner":"` + tn.alice + `","recipient":"` + thief.String() + `","amount":"10"}}`
	sendFrom := `{"send_from":{"owner":"` + tn.alice + `","contract":"` + tn.y.String() + `","amount":"10"}}`
	relay, relayHash := deploy(transfer)
	relayFrom, relayFromHash := deploy(transferFrom)
	relaySendFrom, relaySendFromHash := deploy(sendFrom)

	cases := []struct {
		name    string
		sender  keys.Address
		relay   keys.ContractAddress
		hash    [32]byte
		refusal string
	}{
		{"transfer, called by alice", tn.aliceAddr, relay, relayHash, contractErr("insufficient funds")},
		{"transfer, called by org B", tn.orgB, relay, relayHash, contractErr("insufficient funds")},
		{"transfer_from alice, called by alice", tn.aliceAddr, relayFrom, relayFromHash, contractErr("insufficient allowance")},
		{"transfer_from alice, called by org B", tn.orgB, relayFrom, relayFromHash, contractErr("insufficient allowance")},
		{"send_from alice, called by alice", tn.aliceAddr, relaySendFrom, relaySendFromHash, contractErr("insufficient allowance")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, refusal := tn.exec(t, c.sender, c.relay, c.hash, `{}`)
			require.Equal(t, c.refusal, refusal)
		})
	}
	const k = "alice-key-for-org-a"
	tn.execOK(t, tn.aliceAddr, tn.x, `{"set_viewing_key":{"key":"`+k+`"}}`)
	balanceOf := func(addr, key string) string {
		answer, refusal := tn.query(t, tn.x, `{"balance":{"address":"`+addr+`","key":"`+key+`"}}`)
		require.Empty(t, refusal)
		return answer
	}
	require.JSONEq(t, balanceAnswer(aliceInX), balanceOf(tn.alice, k), "nothing left alice's account")

	// Tokens alice gives the relay are the relay's to move: its transfer
	// now succeeds, from its own balance, and alice's is only what she gave.
	tn.execOK(t, tn.aliceAddr, tn.x, `{"transfer":{"recipient":"`+relay.String()+`","amount":"25"}}`)
	data, refusal := tn.exec(t, tn.aliceAddr, relay, relayHash, `{}`)
	require.Empty(t, refusal)
	require.Empty(t, data)
	require.JSONEq(t, balanceAnswer("7654296"), balanceOf(tn.alice, k))
	var hist struct {
		TransferHistory struct {
			Txs []struct {
				From     string `json:"from"`
				Sender   string `json:"sender"`
				Receiver string `json:"receiver"`
			} `json:"txs"`
		} `json:"transfer_history"`
	}
	require.NoError(t, json.Unmarshal([]byte(tn.execOK(t, thief, tn.x, `{"transfer_history":{}}`)), &hist))
	require.Len(t, hist.TransferHistory.Txs, 1)
	require.Equal(t, relay.String(), hist.TransferHistory.Txs[0].From)
	require.Equal(t, relay.String(), hist.TransferHistory.Txs[0].Sender)
	require.Equal(t, thief.String(), hist.TransferHistory.Txs[0].Receiver)
	require.JSONEq(t, `{"balance":{"amount":"10"}}`, tn.execOK(t, thief, tn.x, `{"balance":{}}`))
}
