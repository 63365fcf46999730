package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/edge"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/reading"
)

// deviceRegisterCmd registers a device key file's public key in the
// registry, as the organisation's admin.
func deviceRegisterCmd() *cobra.Command {
	var (
		file, device, name string
		ch                 chainConfig
	)
	cmd := &cobra.Command{
		Use:   "register --key FILE --device ID --node URL --registry ADDR --org-id ORG --keyring DIR --from ADMIN",
		Short: "Register a device's key in the registry contract, as its organisation's admin",
		Long: `Register the public key of the device key FILE for device ID of organisation
ORG in the registry contract, signed by the organisation's admin account
ADMIN (a hermeticd keyring: --keyring DIR, --keyring-backend file|test; a
file keyring's passphrase from HERMETIC_EDGE_PASSPHRASE). The key is valid
from the block that registers it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := edge.LoadKeyFile(file)
			if err != nil {
				return err
			}
			pub, err := reading.PublicKeyBytes(s.Public())
			if err != nil {
				return err
			}
			typ := edge.KeyEd25519
			if len(pub) == 33 {
				typ = edge.KeyP256
			}
			admin, err := gatewayKey(ch)
			if err != nil {
				return err
			}
			registry, err := keys.ParseContractAddress(ch.Registry)
			if err != nil {
				return fmt.Errorf("--registry: %w", err)
			}
			body := map[string]any{"org_id": ch.OrgID, "device_id": device, "key": map[string]string{"type": typ, "value": base64.StdEncoding.EncodeToString(pub)}}
			if name != "" {
				body["name"] = name
			}
			msg, err := json.Marshal(map[string]any{"register_device": body})
			if err != nil {
				return err
			}
			res, err := client.New(ch.Node).Execute(cmd.Context(), admin, registry, msg, false, 0, client.TxOptions{GasLimit: 5_000_000})
			if err != nil {
				return fmt.Errorf("register device %s: %w", device, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "registered device %s of organisation %s at height %d\n", device, ch.OrgID, res.Height)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "key", "", "the device key file")
	f.StringVar(&device, "device", "", "the device's id in the registry")
	f.StringVar(&name, "name", "", "the device's name (optional)")
	f.StringVar(&ch.Node, "node", "http://127.0.0.1:1317", "the node's API")
	f.StringVar(&ch.Registry, "registry", "", "the registry contract's address")
	f.StringVar(&ch.OrgID, "org-id", "", "the organisation")
	f.StringVar(&ch.Keyring, "keyring", "", "the admin's keyring directory")
	f.StringVar(&ch.KeyringBackend, "keyring-backend", "file", "file or test")
	f.StringVar(&ch.Key, "from", "", "the admin's key name")
	for _, req := range []string{"key", "device", "registry", "org-id", "keyring", "from"} {
		_ = cmd.MarkFlagRequired(req)
	}
	return cmd
}
