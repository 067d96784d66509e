package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/version"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/validator"
)

// newModelsReleaseCommand is `dxtrain models release`: the validator approves one
// checkpoint as the next immutable version of a named model.
func newModelsReleaseCommand() *cobra.Command {
	var (
		flags                      validatorFlags
		step                       int64
		manifest                   string
		name, keyPath, approver    string
		intendedUse, intendedUsers string
		limitations                []string
		threshold                  float64
		asJSON, allowUnknownCode   bool
	)
	cmd := &cobra.Command{
		Use:   "release EXPERIMENT --step STEP|--checkpoint MANIFEST --name NAME --key approver.key",
		Short: "Export, evaluate, sign and commit a checkpoint as the next version of a model",
		Long: `Release the committed checkpoint at --step of EXPERIMENT (or the one --checkpoint
names by its manifest hash) as the next version of --name. The model is exported to
ONNX and checked against ONNX Runtime on the test split, evaluated on the test split
for the model card, and described by a provenance statement signed with the approver's private key (--key, from dxtrain keys generate;
it never leaves this machine). The four files are uploaded to the object store and
re-read by hash before the registry commits the version; a suspect checkpoint is
refused. Versions are immutable: a release never overwrites one.

Without --intended-use, --intended-users or --limitation the card gets conservative
defaults (decision support only; evaluated on the held-out split only).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return releaseModel(cmd.Context(), &flags, releaseOptions{experiment: args[0], step: step, manifest: manifest, name: name, keyPath: keyPath,
				approver: approver, intendedUse: intendedUse, intendedUsers: intendedUsers, limitations: limitations,
				threshold: threshold, asJSON: asJSON, allowUnknownCode: allowUnknownCode})
		},
	}
	flags.register(cmd)
	f := cmd.Flags()
	f.Int64Var(&step, "step", 0, "step of the committed checkpoint to release")
	f.StringVar(&manifest, "checkpoint", "", "the checkpoint to release by its manifest hash (6+ hex digits), instead of --step")
	f.StringVar(&name, "name", "", "model name (required): A-Z a-z 0-9 . _ - +")
	f.StringVar(&keyPath, "key", "", "the approver's private key, NAME.key (required)")
	f.StringVar(&approver, "approver", "", "who approves, as the statement names them (default: the key file's name)")
	f.StringVar(&intendedUse, "intended-use", "", "the card's intended use")
	f.StringVar(&intendedUsers, "intended-users", "", "the card's intended users")
	f.StringArrayVar(&limitations, "limitation", nil, "a known limitation for the card (repeatable)")
	f.Float64Var(&threshold, "threshold", 0.5, "decision threshold of the card's evaluation")
	f.BoolVar(&allowUnknownCode, "allow-unknown-code-version", false,
		"release from a build that cannot name its code (uncommitted changes, no version or VCS revision); the card records it either way")
	addJSONFlag(cmd, &asJSON)
	cmd.MarkFlagsOneRequired("step", "checkpoint")
	cmd.MarkFlagsMutuallyExclusive("step", "checkpoint")
	for _, req := range []string{"name", "key"} {
		_ = cmd.MarkFlagRequired(req)
	}
	return cmd
}

// releaseOptions are `dxtrain models release`'s arguments.
type releaseOptions struct {
	experiment                 string
	step                       int64
	manifest                   string
	name, keyPath, approver    string
	intendedUse, intendedUsers string
	limitations                []string
	threshold                  float64
	asJSON                     bool
	allowUnknownCode           bool
}

// releaseModel loads the approver's key, releases the checkpoint through the validator
// and prints what the registry committed.
func releaseModel(ctx context.Context, flags *validatorFlags, o releaseOptions) error {
	// The statement signs the code version: it must name code that can be found again.
	if err := version.Check(); err != nil {
		if !o.allowUnknownCode {
			return fmt.Errorf("release refused: %w (code version %q): build dxtrain from a clean checkout (make build), or pass --allow-unknown-code-version to release anyway with that version on the card",
				err, version.String())
		}
		fmt.Fprintf(os.Stderr, "warning: %v; the card and statement record code version %q\n", err, version.String())
	}
	priv, approver, err := loadApprover(o.keyPath, o.approver)
	if err != nil {
		return err
	}
	o.approver = approver
	api, err := flags.client()
	if err != nil {
		return err
	}
	store, err := flags.store(ctx)
	if err != nil {
		return err
	}
	mv, files, err := validator.Release(ctx, validator.ReleaseConfig{
		API: api, Store: store, ExperimentID: o.experiment, Step: o.step, Manifest: o.manifest,
		Name: o.name, PrivateKey: priv, Approver: o.approver, IntendedUse: o.intendedUse, IntendedUsers: o.intendedUsers,
		Limitations: o.limitations, Threshold: o.threshold,
	})
	if err != nil {
		return err
	}
	if o.asJSON {
		return printJSON(mv)
	}
	out := newTable()
	fmt.Fprintf(out, "released\t%s@%d\n", mv.Name, mv.Version)
	fmt.Fprintf(out, "checkpoint\tstep %d (%s)\n", mv.CheckpointStep, mv.CheckpointID)
	fmt.Fprintf(out, "approver\t%s (key %s)\n", mv.Approver, mv.ApproverKey)
	fmt.Fprintf(out, "model.onnx sha256\t%s\t(%d bytes)\n", mv.ONNXSHA256, len(files.ONNX))
	fmt.Fprintf(out, "card.json sha256\t%s\n", mv.CardSHA256)
	fmt.Fprintf(out, "statement.json sha256\t%s\n", mv.StatementSHA256)
	fmt.Fprintf(out, "statement.sig sha256\t%s\n", mv.SignatureSHA256)
	if v, ok := mv.Metrics["test_auroc"]; ok {
		fmt.Fprintf(out, "test AUROC\t%.4f\n", v)
	}
	return out.Flush()
}

// newModelsRevokeCommand is `dxtrain models revoke NAME@VERSION --reason …`.
func newModelsRevokeCommand() *cobra.Command {
	var flags validatorFlags
	var reason, keyPath, approver string
	var valid time.Duration
	cmd := &cobra.Command{
		Use:   "revoke NAME@VERSION --reason TEXT --key approver.key",
		Short: "Mark a released version revoked and publish the approver's signed revocation list",
		Long: `Mark a released version revoked with a reason. Its record and files stay for audit;
the registry no longer serves its files and pulls are refused with the reason.

The approver's key (--key) then signs the model's revocation list — every revoked
version, an issue time and a validity period (--valid) — which the registry serves to
trusts: models verify and predict refuse a revoked version even in a copy pulled
earlier, and warn on a machine that cannot reach the registry once its cached list
has expired.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return revokeModel(cmd.Context(), &flags, args[0], reason, keyPath, approver, valid)
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "why (required; shown to trusts)")
	cmd.Flags().StringVar(&keyPath, "key", "", "the approver's private key, NAME.key (required): signs the revocation list")
	cmd.Flags().StringVar(&approver, "approver", "", "who revokes, as the list names them (default: the key file's name)")
	cmd.Flags().DurationVar(&valid, "valid", 7*24*time.Hour, "how long the signed list stays valid on a trust's offline machine")
	for _, req := range []string{"reason", "key"} {
		_ = cmd.MarkFlagRequired(req)
	}
	return cmd
}

// revokeModel commits the revocation and publishes the signed list.
func revokeModel(ctx context.Context, flags *validatorFlags, ref, reason, keyPath, approver string, valid time.Duration) error {
	name, ver, err := parseModelRef(ref)
	if err != nil {
		return err
	}
	priv, approver, err := loadApprover(keyPath, approver)
	if err != nil {
		return err
	}
	api, err := flags.client()
	if err != nil {
		return err
	}
	store, err := flags.store(ctx)
	if err != nil {
		return err
	}
	// Revoking again republishes the list (after a failed publish, or to renew it).
	if _, err := api.RevokeModel(ctx, name, ver, reason); err != nil && !errors.Is(err, structs.ErrConflict) {
		return fmt.Errorf("revoke %s@%d: %w", name, ver, err)
	}
	l, err := publishRevocations(ctx, api, store, name, priv, approver, valid)
	if err != nil {
		return fmt.Errorf("revoked %s@%d, but %w: run the command again to publish it", name, ver, err)
	}
	fmt.Printf("revoked %s@%d; the signed revocation list of %s names %d versions, valid until %s\n",
		name, ver, name, len(l.Revoked), l.ValidUntil.Format(time.RFC3339))
	return nil
}

// parseModelRef reads NAME@VERSION, the version a positive integer.
func parseModelRef(s string) (string, int, error) {
	name, ver, ok := strings.Cut(s, "@")
	if !ok || name == "" {
		return "", 0, fmt.Errorf("%q: want NAME@VERSION, e.g. wdbc@1", s)
	}
	if strings.ContainsAny(name, "/@ \t\n") {
		return "", 0, fmt.Errorf("%q: the model name may not hold '/', '@' or spaces", s)
	}
	v, err := strconv.Atoi(ver)
	if err != nil || v < 1 || strconv.Itoa(v) != ver {
		return "", 0, fmt.Errorf("%q: version %q is not a positive number without leading zeros", s, ver)
	}
	return name, v, nil
}

// loadApprover loads the approver's private key; the approver is named as given, or
// after the key file.
func loadApprover(keyPath, approver string) (ed25519.PrivateKey, string, error) {
	priv, err := release.LoadPrivateKey(keyPath)
	if err != nil {
		return nil, "", err
	}
	if approver == "" {
		approver = strings.TrimSuffix(filepath.Base(keyPath), release.PrivateKeyExt)
	}
	return priv, approver, nil
}
