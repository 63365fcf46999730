package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/edge"
	"github.com/hermetic-chain/hermetic/reading"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "hermetic-edge",
		Short:         "Hermetic's gateway: signs machine readings at the source and anchors them on chain",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	device := &cobra.Command{Use: "device", Short: "Device keys: the keys readings are signed with"}
	device.AddCommand(deviceInitCmd(), deviceShowCmd(), deviceRegisterCmd())
	root.AddCommand(device, runCmd())
	return root
}

// keyInfo is what the device commands print: what the registry needs to
// register the device (its public key) and the key id its records carry.
type keyInfo struct {
	File      string `json:"file"`
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"public_key"` // base64, as the registry takes it
	KeyID     string `json:"kid"`        // hex
}

func describe(file string, s reading.Signer) (keyInfo, error) {
	pub, err := reading.PublicKeyBytes(s.Public())
	if err != nil {
		return keyInfo{}, err
	}
	kid, err := reading.KeyID(s.Public())
	if err != nil {
		return keyInfo{}, err
	}
	return keyInfo{File: file, Algorithm: s.Algorithm().String(), PublicKey: base64.StdEncoding.EncodeToString(pub), KeyID: hex.EncodeToString(kid)}, nil
}

// printKey prints what describe says of the key s in file.
func printKey(w io.Writer, asJSON bool, file string, s reading.Signer) error {
	k, err := describe(file, s)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(k)
	}
	_, err = fmt.Fprintf(w, "key file:   %s\nalgorithm:  %s\npublic key: %s\nkey id:     %s\n", k.File, k.Algorithm, k.PublicKey, k.KeyID)
	return err
}

func deviceInitCmd() *cobra.Command {
	var (
		file, typ string
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "init --key FILE [--type ed25519|p256]",
		Short: "Make a device key in FILE (readable by its owner only) and print its public key",
		Long: `Make a device key and write it to FILE as PKCS #8 PEM, readable by its owner
only; an existing file is never overwritten. The printed public key is what
the organisation's admin registers for the device in the registry contract.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := edge.NewKeyFile(file, typ)
			if err != nil {
				return err
			}
			return printKey(cmd.OutOrStdout(), asJSON, file, s)
		},
	}
	cmd.Flags().StringVar(&file, "key", "", "the key file to write")
	cmd.Flags().StringVar(&typ, "type", edge.KeyEd25519, "ed25519 or p256")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

func deviceShowCmd() *cobra.Command {
	var (
		file   string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "show --key FILE",
		Short: "Print a device key's public key and key id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := edge.LoadKeyFile(file)
			if err != nil {
				return err
			}
			return printKey(cmd.OutOrStdout(), asJSON, file, s)
		},
	}
	cmd.Flags().StringVar(&file, "key", "", "the key file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}
