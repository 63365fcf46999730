//go:build !linux && !darwin

package node

import "errors"

// raiseFDLimit is not supported here: the node runs with the limit it has
// and checks its connection caps against none.
func raiseFDLimit() (fdLimit, error) {
	return fdLimit{}, errors.New("RLIMIT_NOFILE is not supported on this system")
}
