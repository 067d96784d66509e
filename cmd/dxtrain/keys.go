package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/models/release"
)

// newKeysCommand is `dxtrain keys`: the approver's signing keys and the object store's
// key-encryption key.
func newKeysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the ed25519 keys approvers sign model releases with, and the store's key-encryption key",
	}
	cmd.AddCommand(newKeysGenerateCommand(), newKEKCreateCommand(), newRotateKEKCommand())
	return cmd
}

func newKeysGenerateCommand() *cobra.Command {
	var dir, name string
	cmd := &cobra.Command{
		Use:   "generate --out DIR --name NAME",
		Short: "Write a new key pair: NAME.key (private, mode 0600) and NAME.pub",
		Long: `Write a new ed25519 key pair for signing model releases.

NAME.key is the private key (PEM, PKCS #8, mode 0600): it stays with the approver
and is never uploaded. NAME.pub is the public key (PEM, PKIX) that trusts use to
verify releases. Announce the printed fingerprint through a second channel so
trusts can check they hold the right public key. Existing files are never
overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kf, err := release.GenerateKey(dir, name)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "private key  %s  (keep it secret)\n", kf.PrivatePath)
			fmt.Fprintf(out, "public key   %s  (give it to trusts)\n", kf.PublicPath)
			fmt.Fprintf(out, "fingerprint  %s\n", kf.Fingerprint)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "out", "", "directory to write the key files into (created if absent; required)")
	cmd.Flags().StringVar(&name, "name", "", "base name of the key files (required)")
	_ = cmd.MarkFlagRequired("out")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}
