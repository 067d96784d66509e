package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/datasets/synth"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// datasetFlags choose where datasets are registered: the cluster (default) or, with
// --local, a registry in the object store for `dxtrain train`.
type datasetFlags struct {
	validatorFlags
	local bool
}

func (f *datasetFlags) register(cmd *cobra.Command) {
	f.validatorFlags.register(cmd)
	cmd.PersistentFlags().BoolVar(&f.local, "local", false, "use the registry kept in the object store instead of the cluster (for dxtrain train)")
}

// registry returns the registrar and the name resolver of the chosen registry.
func (f *datasetFlags) registry(store storage.Store) (ingest.Registrar, loop.DatasetResolver, error) {
	if f.local {
		reg := ingest.NewLocalRegistry(store)
		return reg, reg.ManifestOf, nil
	}
	api, err := f.client()
	if err != nil {
		return nil, nil, err
	}
	return trainer.ClusterRegistrar(api), api.DatasetManifest, nil
}

func newDatasetsCommand() *cobra.Command {
	var flags datasetFlags
	cmd := &cobra.Command{Use: "datasets", Short: "Ingest anonymised datasets through the gate; list, show and verify them"}
	flags.register(cmd)
	cmd.AddCommand(datasetsIngest(&flags), datasetsLs(&flags), datasetsShow(&flags), datasetsVerify(&flags), datasetsStage(&flags), datasetsSynth())
	return cmd
}

func datasetsIngest(flags *datasetFlags) *cobra.Command {
	var (
		input, key, reportPath string
		seed                   uint64
		raw                    bool
	)
	cmd := &cobra.Command{
		Use:   "ingest INGEST-SPEC.yaml",
		Short: "Put a dataset through the anonymisation gate, de-identify, split, shard, upload and register it",
		Long: `Read raw input (CSV, IDX, a MedMNIST NPZ or a directory of DICOM files), apply the
ingest spec's de-identification (drop or pseudonymise identifiers with a keyed HMAC,
dates of birth to age bands, postcodes to districts, event dates to months; DICOM by
PS3.15 Annex E with keyed UIDs and date shifts), run the anonymisation gate — which
refuses the whole dataset while it still identifies people, reporting rule, column,
counts and row numbers, never values — then split it (stratified, from --seed), write
content-addressed shards, upload them and register the manifest. Nothing is registered
when any step fails. DICOM input is gated attribute by attribute (the report names the
tag and counts files), refused for burned-in text, checked for k-anonymity per patient,
resized to the spec's shape and split by patient.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ingestDataset(cmd.Context(), flags, ingestOptions{spec: args[0], input: input, key: key, reportPath: reportPath, seed: seed, raw: raw})
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "raw input (default: the spec's input.path)")
	cmd.Flags().StringVar(&key, "key", "", "pseudonymisation key file, mode 0600 (default: the spec's key_file); never uploaded")
	cmd.Flags().StringVar(&reportPath, "report", "", "also write the gate's report as JSON to this file")
	cmd.Flags().Uint64Var(&seed, "seed", 42, "seed of the stratified split")
	cmd.Flags().BoolVar(&raw, "raw", false, "DICOM: gate the files as they are, without de-identification, to see which attributes identify people (refused; nothing is uploaded)")
	return cmd
}

func datasetsLs(flags *datasetFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "ls", Short: "List registered datasets", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listDatasets(cmd.Context(), flags, asJSON)
		},
	}
	addJSONFlag(cmd, &asJSON)
	return cmd
}

// ingestOptions are `dxtrain datasets ingest`'s arguments.
type ingestOptions struct {
	spec, input, key, reportPath string
	seed                         uint64
	raw                          bool // DICOM without de-identification: the gate's view of the raw files
}

// ingestDataset runs the ingest pipeline and prints the gate's report (also as JSON
// to reportPath) and the registered splits.
func ingestDataset(ctx context.Context, flags *datasetFlags, o ingestOptions) error {
	store, err := flags.store(ctx)
	if err != nil {
		return err
	}
	reg, _, err := flags.registry(store)
	if err != nil {
		return err
	}
	res, err := ingest.Ingest(ctx, ingest.Config{SpecPath: o.spec, InputPath: o.input, KeyPath: o.key, Store: store, Registrar: reg, Seed: o.seed, DICOMRaw: o.raw})
	if res != nil && res.Report != nil {
		fmt.Println(strings.TrimRight(res.Report.Summary(), "\n"))
		if o.reportPath != "" {
			if werr := writeJSONFile(o.reportPath, res.Report); werr != nil {
				return werr
			}
		}
	}
	if errors.Is(err, ingest.ErrRefused) {
		return fmt.Errorf("refused by the anonymisation gate: nothing was uploaded or registered")
	}
	if err != nil {
		return err
	}
	m := res.Manifest
	fmt.Printf("dataset %s registered: manifest %s\n", m.Name, res.ManifestSHA)
	printSplits(m)
	return nil
}

// datasetRow is one registered dataset as `datasets ls` prints it.
type datasetRow struct {
	Name     string `json:"name"`
	Manifest string `json:"manifest_sha256"`
}

// listDatasets lists the datasets of the store's local registry (--local) or of the
// cluster.
func listDatasets(ctx context.Context, flags *datasetFlags, asJSON bool) error {
	var rows []datasetRow
	if flags.local {
		store, err := flags.store(ctx)
		if err != nil {
			return err
		}
		recs, err := ingest.NewLocalRegistry(store).List(ctx)
		if err != nil {
			return err
		}
		for _, r := range recs {
			rows = append(rows, datasetRow{r.Name, r.ManifestSHA})
		}
	} else {
		api, err := flags.client()
		if err != nil {
			return err
		}
		ds, err := api.Datasets(ctx)
		if err != nil {
			return err
		}
		for _, d := range ds {
			rows = append(rows, datasetRow{d.Name, d.ManifestHash})
		}
	}
	if asJSON {
		return printJSON(rows)
	}
	tw := newTable()
	fmt.Fprintln(tw, "NAME\tMANIFEST")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r.Name, r.Manifest)
	}
	return tw.Flush()
}

// manifestOf resolves a dataset name to its manifest, read from the store.
func manifestOf(ctx context.Context, flags *datasetFlags, name string) (storage.Store, *shards.Manifest, string, error) {
	store, err := flags.store(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	_, resolve, err := flags.registry(store)
	if err != nil {
		return nil, nil, "", err
	}
	sha, err := resolve(ctx, name)
	if err != nil {
		return nil, nil, "", err
	}
	m, err := shards.LoadManifest(ctx, store, sha)
	if err != nil {
		return nil, nil, "", err
	}
	return store, m, sha, nil
}

func datasetsShow(flags *datasetFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "show NAME", Short: "Show a dataset's manifest: schema, splits, transforms, the gate's report", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, m, sha, err := manifestOf(cmd.Context(), flags, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m)
			}
			fmt.Printf("%s  manifest %s\n  %s\n  %s data, features %v, classes %v\n", m.Name, sha, m.Description, m.Schema.Kind, m.Schema.FeatureShape, m.Schema.Classes)
			for _, tr := range m.Transforms {
				fmt.Printf("  transform %s: %s (%s)\n", tr.Column, tr.Method, tr.Role)
			}
			printSplits(m)
			if m.Gate != nil {
				fmt.Println(strings.TrimRight(m.Gate.Summary(), "\n"))
			}
			return nil
		},
	}
	addJSONFlag(cmd, &asJSON)
	return cmd
}

func datasetsVerify(flags *datasetFlags) *cobra.Command {
	return &cobra.Command{
		Use: "verify NAME", Short: "Re-hash every shard of a dataset against its manifest", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, m, sha, err := manifestOf(cmd.Context(), flags, args[0])
			if err != nil {
				return err
			}
			if err := shards.Verify(cmd.Context(), store, m); err != nil {
				return err
			}
			fmt.Printf("dataset %s (manifest %s): every shard verifies\n", m.Name, sha)
			return nil
		},
	}
}

func datasetsStage(flags *datasetFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "stage NAME --out DIR",
		Short: "Lay a dataset out as a torch rank reads it, to run a script standalone",
		Long: `Fetch a dataset's manifest and every shard, each checked against its SHA-256, into DIR
as a runtime: torch rank sees it (DIR/manifest.json, DIR/shards/<sha256>.safetensors).
A researcher then runs the training script without a cluster:

  DXTRAIN_DATASET_DIR=DIR python3 train.py`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out DIR is required")
			}
			store, m, sha, err := manifestOf(cmd.Context(), flags, args[0])
			if err != nil {
				return err
			}
			if err := shards.Stage(cmd.Context(), store, sha, out); err != nil {
				return err
			}
			fmt.Printf("dataset %s (manifest %s) staged in %s\n", m.Name, sha, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write (created)")
	return cmd
}

func datasetsSynth() *cobra.Command {
	var (
		rows   int
		seed   uint64
		out    string
		images bool
	)
	cmd := &cobra.Command{
		Use:   "synth --out patients.csv",
		Short: "Write synthetic raw patient records (for tests and demos; they fail the gate until de-identified)",
		Long: `Write realistic synthetic raw records — valid NHS numbers, names, dates of birth, full
postcodes, free-text notes and lab values with a diagnostic label. Raw, they fail the
anonymisation gate; with the ingest spec written beside them (synth-ingest.yaml) they
pass. No real person's data is involved. With --images, write grayscale lesion patches
(benign or malignant) as an MNIST-style IDX directory that the gate accepts as it is.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if images {
				if !cmd.Flags().Changed("out") {
					out = "synth-lesions"
				}
				specPath, err := synth.WriteLesions(out, rows, seed)
				if err != nil {
					return err
				}
				fmt.Printf("wrote %d synthetic lesion images (IDX) to %s and their ingest spec to %s\n", rows, out, specPath)
				return nil
			}
			header, records := synth.Generate(rows, seed)
			if err := writeCSVFile(out, header, records); err != nil {
				return err
			}
			specPath := filepath.Join(filepath.Dir(out), "synth-ingest.yaml")
			spec := []byte(synth.IngestSpecYAML)
			if err := os.WriteFile(specPath, spec, 0o644); err != nil {
				return err
			}
			fmt.Printf("wrote %d synthetic records to %s and their ingest spec to %s\n", rows, out, specPath)
			return nil
		},
	}
	cmd.Flags().IntVar(&rows, "rows", 2000, "number of records")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "generator seed")
	cmd.Flags().StringVar(&out, "out", "synth-patients.csv", "output CSV (with --images: output directory, default synth-lesions)")
	cmd.Flags().BoolVar(&images, "images", false, "write synthetic 28×28 benign/malignant lesion images as IDX instead, with lesions-ingest.yaml inside --out")
	return cmd
}

func printSplits(m *shards.Manifest) {
	for _, name := range []string{shards.PartTrain, shards.PartValidation, shards.PartTest} {
		p, err := m.Split.Part(name)
		if err != nil {
			continue
		}
		fmt.Printf("  %-10s %6d records in %d shards, label counts %v\n", name, p.Records, len(p.Shards), p.LabelCounts)
	}
}

func writeCSVFile(path string, header []string, rows [][]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.Write(header); err != nil {
		f.Close()
		return err
	}
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeJSONFile(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := jsonEncoder(f)
	if err := enc.Encode(v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
