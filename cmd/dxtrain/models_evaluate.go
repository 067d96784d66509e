package main

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/models/external"
	"github.com/dxtrain/dxtrain/models/release"
)

// evaluateFlags are the trust's choices for `models evaluate`.
type evaluateFlags struct {
	dir, pubPath, data, label, mapPath, subgroups, split, require string
	signKey, site, out                                            string
	floor                                                         int
	threshold                                                     float64
	asJSON                                                        bool
}

// newModelsEvaluateCommand is `dxtrain models evaluate`: a trust's external validation
// of a pulled release on its own patients, offline.
func newModelsEvaluateCommand() *cobra.Command {
	var f evaluateFlags
	cmd := &cobra.Command{
		Use:   "evaluate NAME@VERSION --release DIR --pubkey approver.pub --data FILE --label COLUMN",
		Short: "Validate a pulled release on the trust's own labelled data: metrics beside the card's, dataset shift, a signed aggregate report",
		Long: `Evaluate a pulled release (dxtrain models pull) on the trust's own labelled data,
offline. The release is verified first (signature, hashes, revocation) and refused
otherwise. A CSV's columns are matched to the card's inputs by name (--map FILE maps
renamed ones: "card_input = local_column" per line); a missing or extra column, a
missing value or a label outside the card's classes is refused. Images are a
MedMNIST-layout .npz (--split) or an IDX images file with --label LABELS_FILE.

The report: AUROC with its DeLong CI; sensitivity, specificity, PPV and NPV with
Wilson CIs at the card's threshold and at --threshold; calibration slope, intercept
and ECE; --subgroups; each metric beside the card's development figure, flagged where
the local CI excludes it; dataset shift against the distribution the card records
(PSI and SMD per input, intensity histogram for images) and label prevalence.

Every count is 0 or at least --suppress-below (default 10; a card can raise it,
nothing can lower it), and no row-level value is printed. --sign KEY writes the
signed aggregate report (report.json and report.json.sig) for dxtrain models report
submit. --require auroc>=0.85,sensitivity>=0.9 exits non-zero when a local lower
95% bound misses a requirement.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runEvaluate(cmd, args[0], &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "release", "", "the pulled release directory (required)")
	fl.StringVar(&f.pubPath, "pubkey", "", "the approver's public key (required)")
	fl.StringVar(&f.data, "data", "", "the trust's labelled data: CSV, MedMNIST .npz, or IDX images (required)")
	fl.StringVar(&f.label, "label", "", "the CSV's label column, or the IDX labels file (required except for .npz)")
	fl.StringVar(&f.mapPath, "map", "", "column mapping file: card_input = local_column per line")
	fl.StringVar(&f.subgroups, "subgroups", "", "CSV columns to break the report down by, comma-separated")
	fl.StringVar(&f.split, "split", "test", "with an .npz: which split")
	fl.IntVar(&f.floor, "suppress-below", external.DefaultFloor, "the trust's small-number floor")
	fl.Float64Var(&f.threshold, "threshold", 0, "the trust's own decision threshold, reported beside the card's")
	fl.StringVar(&f.require, "require", "", "requirements on local lower 95% bounds, e.g. auroc>=0.85,sensitivity>=0.9")
	fl.StringVar(&f.signKey, "sign", "", "the trust's private key: write a signed aggregate report")
	fl.StringVar(&f.site, "site", "", "the trust's name on the signed report (default: the key file's name)")
	fl.StringVar(&f.out, "out", "report.json", "with --sign: where the report goes (its signature beside it, .sig)")
	fl.BoolVar(&f.asJSON, "json", false, "print the evaluation as JSON")
	for _, req := range []string{"release", "pubkey", "data"} {
		_ = cmd.MarkFlagRequired(req)
	}
	return cmd
}

func runEvaluate(cmd *cobra.Command, ref string, f *evaluateFlags) error {
	name, ver, err := parseModelRef(ref)
	if err != nil {
		return err
	}
	reqs, err := external.ParseRequirements(f.require)
	if err != nil {
		return fmt.Errorf("--require: %w", err)
	}
	var priv ed25519.PrivateKey
	if f.signKey != "" { // before the work: a bad key should not cost an evaluation
		if priv, f.site, err = loadApprover(f.signKey, f.site); err != nil {
			return err
		}
	}
	v, err := verifiedRelease(cmd, f.dir, f.pubPath, name, ver)
	if err != nil {
		return err
	}
	d, err := readLocal(f, &v.Card)
	if err != nil {
		return err
	}
	e, err := external.Evaluate(v, d, external.Options{Floor: f.floor, Threshold: f.threshold})
	if err != nil {
		return err
	}
	if f.asJSON {
		if err := printJSON(e); err != nil {
			return err
		}
	} else {
		fmt.Printf("external validation of %s@%d (approver key %s) on %s\n\n", name, ver, v.Fingerprint, f.data)
		if err := e.WriteText(os.Stdout); err != nil {
			return err
		}
		unit := "rows"
		if d.Images {
			unit = "images"
		}
		fmt.Printf("\nONNX Runtime: %d %s in %s (%.0f %s/s)\n", d.N, unit, e.Inference.Round(time.Microsecond), float64(d.N)/e.Inference.Seconds(), unit)
	}
	if priv != nil {
		report, sig, err := external.Sign(v, e, f.site, priv, time.Now())
		if err != nil {
			return err
		}
		if err := writeReport(f.out, report, sig); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "signed report written to %s and %s.sig (site %s, key %s)\n", f.out, f.out, f.site, release.Fingerprint(priv.Public().(ed25519.PublicKey)))
	}
	verdicts, err := e.Check(reqs)
	for _, r := range verdicts {
		state := "met"
		if !r.Met {
			state = "NOT MET"
		}
		fmt.Fprintf(os.Stderr, "require %s>=%g: lower 95%% bound %s: %s\n", r.Metric, r.Min, statText(float64(r.Lower)), state)
	}
	return err
}

// verifiedRelease verifies dir with the approver's key and the revocation list, and
// that it is the version asked for.
func verifiedRelease(cmd *cobra.Command, dir, pubPath, name string, ver int) (*release.Verified, error) {
	pub, err := release.LoadPublicKey(pubPath)
	if err != nil {
		return nil, err
	}
	v, err := release.VerifyDir(dir, pub)
	if err != nil {
		return nil, fmt.Errorf("refusing to evaluate %s: %w", dir, err)
	}
	if err := checkRevocations(cmd.Context(), v, pub); err != nil {
		return nil, fmt.Errorf("refusing to evaluate %s: %w", dir, err)
	}
	if v.Statement.ModelName != name || v.Statement.ModelVersion != strconv.Itoa(ver) {
		return nil, fmt.Errorf("refusing to evaluate %s: it holds %s@%s, not %s@%d", dir, v.Statement.ModelName, v.Statement.ModelVersion, name, ver)
	}
	return v, nil
}

func readLocal(f *evaluateFlags, card *release.Card) (*external.Data, error) {
	if len(card.Features) == 0 {
		return external.ReadImages(f.data, f.label, f.split, card)
	}
	in := external.TabularInput{Label: f.label}
	if f.subgroups != "" {
		for _, s := range strings.Split(f.subgroups, ",") {
			in.Subgroups = append(in.Subgroups, strings.TrimSpace(s))
		}
	}
	if f.mapPath != "" {
		raw, err := os.ReadFile(f.mapPath)
		if err != nil {
			return nil, err
		}
		if in.Mapping, err = external.ParseMapping(raw, f.mapPath); err != nil {
			return nil, err
		}
	}
	fh, err := os.Open(f.data)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return external.ReadTabular(fh, f.data, card, in)
}

func writeReport(path string, report, sig []byte) error {
	if err := os.WriteFile(path, report, 0o644); err != nil {
		return err
	}
	return os.WriteFile(path+".sig", sig, 0o644)
}

func statText(f float64) string {
	if f != f {
		return "undefined"
	}
	return strconv.FormatFloat(f, 'f', 3, 64)
}
