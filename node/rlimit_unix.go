//go:build linux || darwin

package node

import (
	"fmt"
	"syscall"
)

// raiseFDLimit raises the soft RLIMIT_NOFILE to the hard limit. It returns
// the limit as it is afterwards (as it was, with the error, when raising
// fails).
func raiseFDLimit() (fdLimit, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return fdLimit{}, fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	l := fdLimit{soft: r.Cur, hard: r.Max, before: r.Cur}
	if r.Cur >= r.Max {
		return l, nil
	}
	raised := syscall.Rlimit{Cur: r.Max, Max: r.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		return l, fmt.Errorf("raise RLIMIT_NOFILE from %d to %d: %w", r.Cur, r.Max, err)
	}
	l.soft = r.Max
	return l, nil
}
