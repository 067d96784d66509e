package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/models/external"
	"github.com/dxtrain/dxtrain/models/release"
)

// newModelsReportCommand groups the site report commands.
func newModelsReportCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Site reports: a trust's signed external validation of a version"}
	cmd.AddCommand(newModelsReportSubmitCommand())
	return cmd
}

// newModelsReportSubmitCommand is `dxtrain models report submit report.json`.
func newModelsReportSubmitCommand() *cobra.Command {
	var flags clusterFlags
	var sigPath string
	cmd := &cobra.Command{
		Use:   "submit report.json [--sig report.json.sig]",
		Short: "Send a signed site report (dxtrain models evaluate --sign) to the registry, beside its model version",
		Long: `Check the signed site report here (signature, canonical form, every count at its
floor), then send it to the registry, which checks the signature again and that it
names the version's model.onnx and statement.json before keeping it beside the
version (replicated, audited). Needs a trust token.`,
		Args: cobra.ExactArgs(1),
		RunE: flags.run(func(ctx context.Context, api *client.Client, args []string) error {
			if sigPath == "" {
				sigPath = args[0] + ".sig"
			}
			report, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			sig, err := os.ReadFile(sigPath)
			if err != nil {
				return err
			}
			r, err := release.VerifyReport(report, sig)
			if err != nil {
				return fmt.Errorf("refusing to submit %s: %w", args[0], err)
			}
			if _, err := external.ReadEvaluation(r); err != nil {
				return fmt.Errorf("refusing to submit %s: %w", args[0], err)
			}
			ver, err := strconv.Atoi(r.ModelVersion)
			if err != nil {
				return fmt.Errorf("refusing to submit %s: version %q is not a number", args[0], r.ModelVersion)
			}
			out, err := api.SubmitReport(ctx, r.ModelName, ver, report, sig)
			if err != nil {
				return fmt.Errorf("submit the report on %s@%d: %w", r.ModelName, ver, err)
			}
			fmt.Printf("submitted the report of %s (key %s) on %s@%d: %.12s\n", r.Site, r.SiteKey, r.ModelName, ver, out.SHA256)
			return nil
		}),
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&sigPath, "sig", "", "the report's signature (default: REPORT.sig)")
	return cmd
}

// newModelsShowCommand is `dxtrain models show NAME@VERSION`: the version and every
// site's report — the cross-site matrix.
func newModelsShowCommand() *cobra.Command {
	var flags clusterFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME@VERSION",
		Short: "Show a released version and every site's external validation of it (the cross-site matrix)",
		Long: `Show a released version and, one row per submitted site report, each site's
external validation: records, AUROC with its CI, sensitivity and specificity at the
card's threshold, the largest input shift, and what the report flags. Each report's
signature is checked here; the KEY column is the site's key fingerprint, to compare
with the one the trust announced.`,
		Args: cobra.ExactArgs(1),
		RunE: flags.run(func(ctx context.Context, api *client.Client, args []string) error {
			name, ver, err := parseModelRef(args[0])
			if err != nil {
				return err
			}
			mv, err := api.ModelVersion(ctx, name, ver)
			if err != nil {
				return err
			}
			reports, err := api.Reports(ctx, name, ver)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(struct {
					Version *structs.ModelVersion `json:"version"`
					Reports []structs.SiteReport  `json:"reports"`
				}{mv, reports})
			}
			return printMatrix(mv, reports)
		}),
	}
	flags.register(cmd)
	addJSONFlag(cmd, &asJSON)
	return cmd
}

func printMatrix(mv *structs.ModelVersion, reports []structs.SiteReport) error {
	revoked := "no"
	if mv.Revoked {
		revoked = "yes: " + mv.RevokedReason
	}
	fmt.Printf("%s@%d  approver %s (key %s)  revoked %s\n", mv.Name, mv.Version, mv.Approver, mv.ApproverKey, revoked)
	fmt.Printf("development: AUROC %s [%s, %s], sensitivity %s, specificity %s on %s test records\n\n",
		metricText(mv.Metrics, "test_auroc"), metricText(mv.Metrics, "test_auroc_ci_lower"), metricText(mv.Metrics, "test_auroc_ci_upper"),
		metricText(mv.Metrics, "test_sensitivity"), metricText(mv.Metrics, "test_specificity"), metricText(mv.Metrics, "test_n"))
	tw := newTable()
	fmt.Fprintln(tw, "SITE\tKEY\tSIGNATURE\tN\tAUROC (95% CI)\tSENSITIVITY\tSPECIFICITY\tMAX PSI\tFLAGS")
	for _, rep := range reports {
		r, err := release.VerifyReport([]byte(rep.Report), []byte(rep.Signature))
		if err != nil {
			fmt.Fprintf(tw, "%s\t%s\tFAILED: %v\n", rep.Site, rep.SiteKey, err)
			continue
		}
		e, err := external.ReadEvaluation(r)
		if err != nil {
			fmt.Fprintf(tw, "%s\t%s\tverified\tunreadable: %v\n", r.Site, r.SiteKey, err)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\tverified\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Site, r.SiteKey, e.N, e.AUROCText(),
			statText(float64(e.AtCard.Sensitivity.Estimate)), statText(float64(e.AtCard.Specificity.Estimate)), e.MaxPSIText(), e.FlagsText())
	}
	if len(reports) == 0 {
		fmt.Fprintln(tw, "(no site has submitted a report)")
	}
	return tw.Flush()
}

func metricText(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	if k == "test_n" {
		return strconv.Itoa(int(v))
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
