package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/gate"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/storage"
)

// Ingest reads, de-identifies and gates the input, then shards, uploads
// and registers it. On refusal it returns a Result holding only the report
// and an error wrapping ErrRefused (a *RefusedError), having uploaded
// nothing. Any failure after the first upload deletes what this ingest
// uploaded; blobs it could not delete are named in the error.
func Ingest(ctx context.Context, cfg Config) (*Result, error) {
	path, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	spec := cfg.Spec
	log := cfg.Logger.With("dataset", spec.Name, "format", string(spec.Input.Format))

	var (
		p   *prepared
		rep *gate.Report
		src shards.Source
	)
	switch spec.Input.Format {
	case deid.FormatCSV:
		p, rep, src, err = gateCSV(ctx, &cfg, path)
	case deid.FormatIDX, deid.FormatNPZ:
		p, rep, src, err = gateImages(ctx, &cfg, path)
	case deid.FormatDICOM:
		p, rep, src, err = gateDICOM(ctx, &cfg, path)
	default:
		err = fmt.Errorf("ingest: %w: input format %q", ErrConfig, spec.Input.Format)
	}
	if rep != nil && !rep.Passed {
		log.Info("dataset refused by the anonymisation gate", "findings", len(rep.Findings))
		return &Result{Report: rep}, &RefusedError{Report: rep}
	}
	if err != nil {
		return nil, err
	}
	log.Info("anonymisation gate passed", "rows", rep.Rows, "k", rep.K)
	// Ask the registry before uploading anything: a registry that cannot be reached
	// would otherwise be found only after every shard was written.
	prev, err := cfg.Registrar.Registered(ctx, spec.Name)
	if err != nil {
		return nil, fmt.Errorf("ingest %s: %w: the registry cannot be asked whether the name is free (%w); nothing was uploaded", spec.Name, ErrRegister, err)
	}
	if prev != "" {
		log.Info("dataset name already registered: the ingest registers only if it reproduces that manifest", "registered_manifest", prev)
	}

	up := &uploads{store: cfg.Store}
	m, sha, err := writeDataset(ctx, &cfg, p, rep, src, up)
	if err == nil {
		err = cfg.Registrar.Register(ctx, spec.Name, sha, m)
		if err != nil {
			err = fmt.Errorf("ingest %s: %w: %w", spec.Name, ErrRegister, err)
		}
	}
	if err != nil {
		return nil, up.sweep(ctx, err, log)
	}
	log.Info("dataset registered", "manifest_sha256", sha, "records", p.records,
		"train_shards", len(m.Split.Train.Shards))
	return &Result{Manifest: m, ManifestSHA: sha, Report: rep}, nil
}

// gateCSV reads the CSV, de-identifies it, runs the gate and, when it
// passes, converts the table.
func gateCSV(ctx context.Context, cfg *Config, path string) (*prepared, *gate.Report, shards.Source, error) {
	spec := cfg.Spec
	var ps *deid.Pseudonymiser
	if spec.NeedsKey() {
		var err error
		if ps, err = deid.LoadKey(spec.ResolveKeyFile(cfg.KeyPath)); err != nil {
			return nil, nil, shards.Source{}, fmt.Errorf("ingest: %w", err)
		}
	}
	raw, err := readCSV(path)
	if err != nil {
		return nil, nil, shards.Source{}, fmt.Errorf("ingest: %w", err)
	}
	src := shards.Source{SHA256: raw.sha, Format: string(deid.FormatCSV), Bytes: raw.bytes, Records: int64(len(raw.rows))}
	res, err := deid.Apply(spec, raw.header, raw.rows, ps)
	if err != nil {
		return nil, nil, src, fmt.Errorf("ingest %s: %w", path, err)
	}
	raw.rows = nil
	rep, err := gate.Check(ctx, res.GateTable(cfg.K))
	if err != nil {
		return nil, nil, src, fmt.Errorf("ingest: %w", err)
	}
	if !rep.Passed {
		return nil, rep, src, nil
	}
	p, err := prepareTabular(spec, table{res: res, lines: raw.lines, source: path}, cfg.Seed, cfg.Fractions)
	if err != nil {
		return nil, rep, src, fmt.Errorf("ingest: %w", err)
	}
	return p, rep, src, nil
}

// gateImages reads IDX or NPZ input and runs the gate over its column
// names and labels.
func gateImages(ctx context.Context, cfg *Config, path string) (*prepared, *gate.Report, shards.Source, error) {
	spec := cfg.Spec
	im, err := readImages(spec.Input.Format, path, cfg.MaxArrayBytes)
	if err != nil {
		return nil, nil, shards.Source{}, fmt.Errorf("ingest %s: %w", path, err)
	}
	label := spec.Label.Column
	if label == "" {
		label = "label"
	}
	gt, err := imageGateTable(im, label, spec.Label.Classes, cfg.K)
	if err != nil {
		return nil, nil, shards.Source{}, fmt.Errorf("ingest %s: %w", path, err)
	}
	src := shards.Source{SHA256: im.sha, Format: string(spec.Input.Format), Bytes: im.bytes, Records: int64(len(gt.Rows))}
	rep, err := gate.Check(ctx, gt)
	if err != nil {
		return nil, nil, src, fmt.Errorf("ingest: %w", err)
	}
	if !rep.Passed {
		return nil, rep, src, nil
	}
	p, err := prepareImages(spec, im, cfg.Seed, cfg.Fractions)
	if err != nil {
		return nil, rep, src, fmt.Errorf("ingest: %w", err)
	}
	return p, rep, src, nil
}

// writeDataset uploads the shards of every part and the manifest.
func writeDataset(ctx context.Context, cfg *Config, p *prepared, rep *gate.Report, src shards.Source, up *uploads) (*shards.Manifest, string, error) {
	names := make([]string, len(p.subgroups))
	for i, g := range p.subgroups {
		names[i] = g.Name
	}
	w, err := shards.NewWriter(shards.WriterConfig{Store: cfg.Store, TargetBytes: cfg.ShardBytes,
		FeatureShape: p.schema.FeatureShape, Classes: len(p.schema.Classes), Subgroups: names, Patients: p.patients, Logger: cfg.Logger})
	if err != nil {
		return nil, "", fmt.Errorf("ingest: %w", err)
	}
	up.writer = w
	m := &shards.Manifest{
		Version: shards.ManifestVersion, Name: cfg.Spec.Name, Description: cfg.Spec.Description,
		Created: cfg.Created, Source: src, Schema: p.schema, Columns: p.columns, Transforms: p.transforms,
		Gate: rep, GateNote: p.gateNote, Split: p.split, Stats: p.stats, Subgroups: p.subgroups,
	}
	for i, name := range shards.PartNames {
		part, err := w.WritePart(ctx, name, p.parts[i])
		if err != nil {
			return nil, "", fmt.Errorf("ingest: %w", err)
		}
		dst, _ := m.Split.Part(name)
		*dst = part
	}
	canon, err := m.Canonical()
	if err != nil {
		return nil, "", fmt.Errorf("ingest: %w", err)
	}
	sha := storage.Digest(canon)
	_, statErr := cfg.Store.Stat(ctx, storage.BlobKey(sha))
	if statErr != nil && !errors.Is(statErr, storage.ErrNotFound) {
		return nil, "", fmt.Errorf("ingest: stat manifest: %w", statErr)
	}
	if _, err := shards.PutManifest(ctx, cfg.Store, m); err != nil {
		return nil, "", fmt.Errorf("ingest: %w", err)
	}
	if statErr != nil {
		up.manifest = sha
	}
	return m, sha, nil
}

// uploads tracks what one ingest put into the store that was not there.
type uploads struct {
	store    storage.Store
	writer   *shards.Writer
	manifest string
}

// sweep deletes this ingest's uploads after cause and returns cause,
// joined with what could not be deleted.
func (u *uploads) sweep(ctx context.Context, cause error, log *slog.Logger) error {
	var shas []string
	if u.writer != nil {
		shas = u.writer.Uploaded()
	}
	if u.manifest != "" {
		shas = append(shas, u.manifest)
	}
	if len(shas) == 0 {
		return cause
	}
	left, err := shards.Sweep(ctx, u.store, shas)
	if err != nil {
		log.Warn("could not delete uploaded blobs", "count", len(left), "error", err)
		return errors.Join(cause, fmt.Errorf("ingest: %d uploaded blobs could not be deleted (%v): %w", len(left), left, err))
	}
	return cause
}
