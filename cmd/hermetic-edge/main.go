// Command hermetic-edge is Hermetic's gateway, one process per site: it
// reads machines, signs every reading at the source, keeps it durably
// until it is anchored, and anchors batches of them on chain
// (docs/data.md): `device init|show` manage device keys, `run --config
// FILE` runs the gateway.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
