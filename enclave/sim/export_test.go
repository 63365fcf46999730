package sim

// Secrets returns the enclave's seeds and the keys derived from them, for
// tests that look for them where they must not be.
func Secrets(e *Enclave) [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := append([][]byte{}, e.seeds...)
	out = append(out, e.ioSK, e.seedExSK)
	out = append(out, e.stateIKMs...)
	if e.regSK != nil {
		out = append(out, e.regSK)
	}
	return out
}
