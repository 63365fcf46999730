package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRequestBodies sends arbitrary bytes as the body of every JSON route
// (a broadcast and a contract query): the API never panics, always answers
// with one of its statuses, and a body it accepts as a query decodes, with
// encoding/json, to exactly what it passed on. The seed corpus is in
// testdata/fuzz/FuzzRequestBodies.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"tx":"YQ==","mode":"sync"}`, `{"tx":"YQ==","mode":"commit"}`, `{"tx":"YQ==","mode":"sync","x":1}`,
		`{"tx":"YQ=="} {}`, `{"msg":"e30=","plaintext":true}`, `{"msg":"eyJ3aXRoX3Blcm1pdCI6e319","plaintext":true}`,
		`{"msg":"e30="}garbage`, `[]`, `null`, ``, `{"tx":`, "{\"tx\":\"\\u0000\"}",
	} {
		f.Add([]byte(seed))
	}
	var passed []byte
	chain := fakeChain{query: func(_ context.Context, msg []byte, _ bool) ([]byte, error) {
		passed = append(passed[:0], msg...)
		return msg, nil
	}}
	s := New(chain, &indexConsensus{found: 1}, slog.New(slog.DiscardHandler), Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/hermetic/v1/txs", contractPath} {
			passed = nil
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK, http.StatusAccepted, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			default:
				t.Fatalf("%s answered %d to %q: %s", path, rec.Code, body, rec.Body)
			}
			if path != contractPath || rec.Code != http.StatusOK {
				continue
			}
			var want ContractQueryRequest
			if err := json.Unmarshal(body, &want); err != nil {
				t.Fatalf("accepted a query body encoding/json refuses: %q: %v", body, err)
			}
			if !bytes.Equal(want.Msg, passed) {
				t.Fatalf("query passed on %q, the body says %q", passed, want.Msg)
			}
			if errors.Is(checkPlaintextQuery(want.Msg), ErrPlaintextCredentials) && want.Plaintext {
				t.Fatalf("accepted a plaintext query with credentials: %q", body)
			}
		}
	})
}
