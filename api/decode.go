package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Errors of request bodies. Each answer's status follows from the sentinel
// (see bodyStatus).
var (
	// ErrBodyTooLarge: the body is longer than the route accepts (413).
	ErrBodyTooLarge = errors.New("request body too large")
	// ErrBadBody: the body is not exactly one JSON value of the route's
	// shape — malformed, empty, with an unknown field or with data after
	// the value (400).
	ErrBadBody = errors.New("malformed request body")
	// ErrPlaintextCredentials: a plaintext contract query carries a viewing
	// key or a permit, which would travel and be logged in the clear (400).
	ErrPlaintextCredentials = errors.New("plaintext query carries a viewing key or permit: send it as an encrypted query")
)

// decodeJSON reads r's body, at most limit bytes, into v. The body must be
// one JSON value whose object fields all exist in v, and nothing after it
// but white space. Errors wrap ErrBodyTooLarge or ErrBadBody.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if r.ContentLength > limit {
		return fmt.Errorf("%w: %d bytes, at most %d accepted", ErrBodyTooLarge, r.ContentLength, limit)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err, limit)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return fmt.Errorf("%w: data after the JSON value", ErrBadBody)
	default:
		if e := bodyError(err, limit); errors.Is(e, ErrBodyTooLarge) {
			return e
		}
		return fmt.Errorf("%w: data after the JSON value", ErrBadBody)
	}
}

// bodyError wraps a decoding error with its sentinel.
func bodyError(err error, limit int64) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return fmt.Errorf("%w: at most %d bytes accepted", ErrBodyTooLarge, limit)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: empty body, want a JSON object", ErrBadBody)
	default:
		return fmt.Errorf("%w: %w", ErrBadBody, err)
	}
}

// writeBodyError answers a request whose body decodeJSON refused.
func writeBodyError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, ErrBodyTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	writeError(w, status, fmt.Errorf("decode request: %w", err))
}

// Member names that carry an account's credentials in a query: a permit
// query is {"with_permit": {"permit": …, "query": …}} and a viewing-key query
// is {"<name>": {…, "key": "…"}} (contracts/token, contract/permit.go). JSON
// member names match case-insensitively, as encoding/json (and so a Go
// contract) matches them to struct fields.
var (
	credentialQueries = []string{"with_permit"}
	credentialFields  = []string{"key", "viewing_key", "permit"}
)

// checkPlaintextQuery refuses a plaintext query that carries credentials: a
// top-level with_permit, or a key, viewing_key or permit member in the
// object of a top-level member. A query that is not JSON is refused too; one
// that is JSON but not an object carries no credentials.
func checkPlaintextQuery(msg []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(msg, &top); err != nil {
		if !json.Valid(msg) {
			return fmt.Errorf("%w: plaintext query is not JSON", ErrBadBody)
		}
		return nil // a string, number, list…: no members
	}
	// A map keeps only the last of duplicate names: walk the tokens so
	// that every member is seen.
	return walkMembers(msg, func(name string, value json.RawMessage) error {
		if matchAny(name, credentialQueries) {
			return ErrPlaintextCredentials
		}
		return walkMembers(value, func(field string, _ json.RawMessage) error {
			if matchAny(field, credentialFields) {
				return ErrPlaintextCredentials
			}
			return nil
		})
	})
}

// walkMembers calls f with each member of the JSON object obj, duplicates
// included, in order; it does nothing when obj is not an object.
func walkMembers(obj json.RawMessage, f func(name string, value json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: plaintext query: %w", ErrBadBody, err)
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return fmt.Errorf("%w: plaintext query: %w", ErrBadBody, err)
		}
		if err := f(name, value); err != nil {
			return err
		}
	}
	return nil
}

func matchAny(name string, names []string) bool {
	for _, n := range names {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	return false
}
