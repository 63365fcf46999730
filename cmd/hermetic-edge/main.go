// Command hermetic-edge is Hermetic's gateway, one process per site: it
// reads machines, signs every reading at the source, keeps it durably
// until it is anchored, and anchors batches of them on chain
// (docs/data.md). This version manages device keys; running the gateway
// comes with its pipeline.
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
