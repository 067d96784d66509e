package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/models/release"
)

// newModelsVerifyCommand is `dxtrain models verify DIR --pubkey approver.pub`: the
// trust's offline check of a release directory.
func newModelsVerifyCommand() *cobra.Command {
	var pubPath string
	var runtime, asJSON, reports bool
	cmd := &cobra.Command{
		Use:   "verify DIR --pubkey approver.pub",
		Short: "Check offline that a release directory is exactly what the approver signed",
		Long: `Check a release directory (model.onnx, card.json, statement.json, statement.sig)
without the network: the signature over statement.json under the approver's public
key, the SHA-256 of model.onnx and card.json against the statement, and that the
card, the statement and the model's own metadata describe the same model.

It exits non-zero, saying which file failed and why, when anything does not match,
and when the approver's signed revocation list (fetched from the registry at
$DXTRAIN_ADDR when it can be reached, else the cached copy) revokes the version.
With --reports it also checks every site report the registry keeps on the version:
its signature under the site's key (fingerprint printed) and that it evaluated this
model.onnx and statement.json. With --runtime it also loads the model into ONNX Runtime and checks its input and
output sizes against the card.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pub, err := release.LoadPublicKey(pubPath)
			if err != nil {
				return err
			}
			v, err := release.VerifyDir(args[0], pub)
			if err != nil {
				return err
			}
			if err := checkRevocations(cmd.Context(), v, pub); err != nil {
				return fmt.Errorf("verify release %s: %w", args[0], err)
			}
			if runtime {
				if err := release.CheckRuntime(v); err != nil {
					return fmt.Errorf("verify release %s: %w", args[0], err)
				}
			}
			if reports {
				if err := verifySiteReports(cmd, v); err != nil {
					return fmt.Errorf("verify release %s: %w", args[0], err)
				}
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Verified    bool              `json:"verified"`
					Fingerprint string            `json:"approver_key"`
					Statement   release.Statement `json:"statement"`
				}{true, v.Fingerprint, v.Statement})
			}
			return printVerified(cmd, args[0], v)
		},
	}
	cmd.Flags().StringVar(&pubPath, "pubkey", "", "the approver's public key file, NAME.pub (required)")
	cmd.Flags().BoolVar(&runtime, "runtime", false, "also load the model in ONNX Runtime and check it against the card")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the verified statement as JSON")
	cmd.Flags().BoolVar(&reports, "reports", false, "also fetch the sites' reports on this version from the registry ($DXTRAIN_ADDR) and check their signatures and hashes")
	_ = cmd.MarkFlagRequired("pubkey")
	return cmd
}

func printVerified(cmd *cobra.Command, dir string, v *release.Verified) error {
	st := v.Statement
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "verified\t%s\n", dir)
	fmt.Fprintf(tw, "model\t%s@%s\n", st.ModelName, st.ModelVersion)
	fmt.Fprintf(tw, "approver\t%s\n", st.Approver)
	fmt.Fprintf(tw, "key fingerprint\t%s\n", v.Fingerprint)
	fmt.Fprintf(tw, "created\t%s\n", st.CreatedAt.Format(time.RFC3339))
	fmt.Fprintf(tw, "model.onnx sha256\t%s\n", st.ONNXSHA256)
	fmt.Fprintf(tw, "card.json sha256\t%s\n", st.CardSHA256)
	fmt.Fprintf(tw, "checkpoint manifest\t%s\n", st.CheckpointManifestSHA256)
	fmt.Fprintf(tw, "dataset manifest\t%s\n", st.DatasetManifestSHA256)
	fmt.Fprintf(tw, "spec\t%s\n", st.SpecSHA256)
	fmt.Fprintf(tw, "code version\t%s\n", st.CodeVersion)
	for _, k := range slices.Sorted(maps.Keys(st.Metrics)) {
		fmt.Fprintf(tw, "metric %s\t%.4f\n", k, st.Metrics[k])
	}
	return tw.Flush()
}

// verifySiteReports checks every site report the registry keeps on v's version: the
// signature under the key each carries and that it names v's model and statement.
func verifySiteReports(cmd *cobra.Command, v *release.Verified) error {
	ver, err := strconv.Atoi(v.Statement.ModelVersion)
	if err != nil {
		return err
	}
	api, err := (&clusterFlags{addr: envOr("DXTRAIN_ADDR", "127.0.0.1:4646")}).client()
	if err != nil {
		return err
	}
	reports, err := api.Reports(cmd.Context(), v.Statement.ModelName, ver)
	if err != nil {
		return fmt.Errorf("site reports: %w", err)
	}
	var failed int
	for _, rep := range reports {
		r, err := release.VerifyReport([]byte(rep.Report), []byte(rep.Signature))
		if err == nil {
			err = r.CheckAgainst(v)
		}
		if err != nil {
			failed++
			fmt.Fprintf(cmd.OutOrStdout(), "site report %.12s (%s, key %s): FAILED: %v\n", rep.SHA256, rep.Site, rep.SiteKey, err)
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "site report %.12s by %s (key %s): signature verified, about this model\n", rep.SHA256, r.Site, r.SiteKey)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d site reports failed their check", failed, len(reports))
	}
	return nil
}
