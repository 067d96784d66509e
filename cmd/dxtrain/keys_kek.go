package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/storage"
)

// newKEKCreateCommand is `dxtrain keys kek-create`: a new key-encryption key for the
// object store's encryption at rest.
func newKEKCreateCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "kek-create --out FILE",
		Short: "Write a new random key-encryption key for encryption at rest (mode 0600)",
		Long: `Write a new random 32-byte key-encryption key (KEK), hex, to FILE with mode 0600.

Every node that reads or writes the object store needs it, through
DXTRAIN_STORE_KEK_FILE=FILE (or the key itself in DXTRAIN_STORE_KEK). It wraps each
object's data key; it is never stored in the cluster's Raft state nor in the store.
Losing it loses the data: keep a copy in the organisation's key custody. An existing
file is never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := storage.GenerateKEK()
			if err != nil {
				return err
			}
			if err := storage.WriteKEKFile(out, k); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "key-encryption key  %s  (mode 0600; keep it secret)\nkek id              %s\n", out, k.ID())
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write the key to (must not exist; required)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// newRotateKEKCommand is `dxtrain keys rotate-kek`: re-wrap every object's data key
// under a new KEK (storage.RotateKEK), leaving the encrypted data as it is.
func newRotateKEKCommand() *cobra.Command {
	var storeURL, oldFile, newFile string
	cmd := &cobra.Command{
		Use:   "rotate-kek --store URL --old-kek-file F --new-kek-file F",
		Short: "Re-wrap the object store's data keys under a new key-encryption key",
		Long: `Re-wrap the data key of every encrypted object in the store from the old
key-encryption key to the new one. The encrypted payloads are copied as they are
(not decrypted, not re-encrypted). It is safe to interrupt and to run again:
objects already under the new KEK are left alone. While it runs, and until every
node has the new KEK, give nodes DXTRAIN_STORE_KEK_FILE=NEW and
DXTRAIN_STORE_KEK_PREVIOUS_FILE=OLD so they read objects under either. Run it while
no job writes to the store. Plaintext objects (written before encryption was turned
on) are counted and left as they are.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if storeURL == "" {
				return fmt.Errorf("no object store: give --store or set DXTRAIN_STORE")
			}
			old, err := storage.LoadKEKFile(oldFile)
			if err != nil {
				return err
			}
			new, err := storage.LoadKEKFile(newFile)
			if err != nil {
				return err
			}
			if old.ID() == new.ID() {
				return fmt.Errorf("--old-kek-file and --new-kek-file hold the same key (kek %s)", old.ID())
			}
			cfg, err := storage.ConfigFromEnv()
			if err != nil {
				return err
			}
			cfg.KEK, cfg.PreviousKEK = new, old
			store, err := storage.Open(cmd.Context(), storeURL, cfg)
			if err != nil {
				return err
			}
			rep, err := storage.RotateKEK(cmd.Context(), store, old, new)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "kek %s -> %s\n", old.ID(), new.ID())
			fmt.Fprintf(out, "rewrapped        %d\nalready current  %d\nplaintext        %d  (not encrypted; left as they are)\n", rep.Rewrapped, rep.Current, rep.Plaintext)
			if err != nil {
				return fmt.Errorf("%w (run the command again to resume)", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&storeURL, "store", envOr("DXTRAIN_STORE", ""), "object store URL: file:///path or s3://bucket/prefix ($DXTRAIN_STORE)")
	cmd.Flags().StringVar(&oldFile, "old-kek-file", "", "file of the key-encryption key the objects are under now (required)")
	cmd.Flags().StringVar(&newFile, "new-kek-file", "", "file of the key-encryption key to move them to (required)")
	_ = cmd.MarkFlagRequired("old-kek-file")
	_ = cmd.MarkFlagRequired("new-kek-file")
	return cmd
}
