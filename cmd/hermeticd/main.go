// Command hermeticd runs a Hermetic node and its command-line interface.
package main

import (
	_ "github.com/cometbft/cometbft/node"
	_ "github.com/cometbft/cometbft/rpc/client/local"
	_ "github.com/cosmos/iavl"
	_ "github.com/cosmos/ics23/go"
	_ "github.com/spf13/cobra"
	_ "github.com/stretchr/testify/require"
	_ "github.com/tetratelabs/wazero"
	_ "golang.org/x/crypto/argon2"
	_ "google.golang.org/protobuf/encoding/protowire"
)

func main() {}
