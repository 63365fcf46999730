//go:build !wasip1

package contract

// Abort ends the call at once, discarding its writes: in the VM it is a trap
// carrying msg. On the host (tests) it panics with an AbortError, which
// Dispatch does not recover, so the test sees the call fail.
func Abort(msg string) { panic(AbortError(msg)) }
