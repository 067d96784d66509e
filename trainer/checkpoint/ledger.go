package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

// Record is one committed checkpoint: the ledger's entry naming a manifest.
type Record struct {
	// ID is the ledger's own name for the record when it has one (the coordinator's
	// checkpoint ID); a StoreLedger names records by step and manifest only.
	ID          string             `json:"id,omitempty"`
	Experiment  string             `json:"experiment"`
	Step        int64              `json:"step"`
	Epoch       int                `json:"epoch"`
	ManifestSHA string             `json:"manifest_sha256"`
	Blobs       []string           `json:"blobs"` // SHA-256 of every blob the manifest names
	WorldSize   int                `json:"world_size"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	Created     time.Time          `json:"created"`
}

// RecordOf is the ledger record naming the manifest m, stored as manifestSHA.
func RecordOf(m *Manifest, manifestSHA string) Record {
	r := Record{Experiment: m.Experiment, Step: m.Cursor.Step, Epoch: m.Cursor.Epoch, ManifestSHA: manifestSHA,
		WorldSize: m.WorldSize, Metrics: m.Metrics, Created: m.Created}
	for _, b := range m.Blobs {
		r.Blobs = append(r.Blobs, b.SHA256)
	}
	return r
}

// Ledger is where a checkpoint comes to exist. In a cluster it is the coordinator's
// Raft-replicated ledger; on one machine it is StoreLedger.
type Ledger interface {
	// Commit records a checkpoint whose blobs are already uploaded and verified.
	Commit(ctx context.Context, r Record) error
	// List returns the experiment's committed checkpoints that may be resumed from
	// (neither suspect nor refused), oldest step first.
	List(ctx context.Context, experiment string) ([]Record, error)
}

// StoreLedger keeps the ledger as one small object per record in a Store, written
// atomically, for single-process training (`dxtrain train`).
type StoreLedger struct{ Store storage.Store }

func ledgerPrefix(experiment string) string { return "ledger/" + experiment + "/" }

// Commit writes the record under ledger/<experiment>/<step>-<manifest>.json.
func (l StoreLedger) Commit(ctx context.Context, r Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s%016d-%s.json", ledgerPrefix(r.Experiment), r.Step, r.ManifestSHA)
	if err := l.Store.Put(ctx, key, strings.NewReader(string(data)), int64(len(data))); err != nil {
		return fmt.Errorf("commit checkpoint %s step %d: %w", r.Experiment, r.Step, err)
	}
	return nil
}

// List reads the experiment's records that no resume refused.
func (l StoreLedger) List(ctx context.Context, experiment string) ([]Record, error) {
	all, err := l.All(ctx, experiment)
	if err != nil {
		return nil, err
	}
	refused, err := l.Refusals(ctx, experiment)
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, r := range all {
		if _, ok := refused[r.ManifestSHA]; !ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// All reads every record of the experiment, refused ones included, oldest step first
// (a step written twice — refused, then retrained — in commit order).
func (l StoreLedger) All(ctx context.Context, experiment string) ([]Record, error) {
	infos, err := l.Store.List(ctx, ledgerPrefix(experiment))
	if err != nil {
		return nil, fmt.Errorf("list checkpoints of %s: %w", experiment, err)
	}
	var records []Record
	for _, info := range infos {
		rc, err := l.Store.Get(ctx, info.Key)
		if err != nil {
			return nil, fmt.Errorf("list checkpoints of %s: %w", experiment, err)
		}
		var r Record
		err = json.NewDecoder(rc).Decode(&r)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("list checkpoints of %s: record %s: %w: %v", experiment, info.Key, ErrMalformed, err)
		}
		records = append(records, r)
	}
	sort.SliceStable(records, func(i, j int) bool {
		if records[i].Step != records[j].Step {
			return records[i].Step < records[j].Step
		}
		return records[i].Created.Before(records[j].Created)
	})
	return records, nil
}

// Refusal is a committed checkpoint that a resume refused because it did not load
// and verify.
type Refusal struct {
	Record Record // the refused ledger record
	// Blob is the SHA-256 of the blob that failed: the manifest's or one it names.
	// Empty when no blob could be singled out.
	Blob string
	// Err is the verify error. It names the blob, never data values.
	Err error
}

// RefusalRecorder is implemented by a Ledger that keeps a durable record of the
// checkpoints a resume refused (the cluster ledger records an alert in the
// coordinator). Latest calls it once per refusal before falling back.
type RefusalRecorder interface {
	RecordRefusal(ctx context.Context, r Refusal) error
}

// ResumeRecorder is implemented by a Ledger that records where a resume really
// continued from: NewestLoadable calls it with the record it returns, or with nil when
// it refused every committed checkpoint and training starts from scratch.
type ResumeRecorder interface {
	RecordResume(ctx context.Context, from *Record) error
}

// Latest loads the newest committed checkpoint that verifies. A corrupt one is
// refused — logged, and recorded through the ledger when it is a RefusalRecorder —
// and the previous committed one is tried, so that a damaged blob costs progress,
// never correctness. A refusal that cannot be recorded is logged and does not stop
// the fallback.
func Latest(ctx context.Context, ledger Ledger, store storage.Store, experiment string, log *slog.Logger) (*Loaded, error) {
	var l *Loaded
	_, err := NewestLoadable(ctx, ledger, store, experiment, log, func(r Record) (err error) {
		l, err = Load(ctx, store, r.ManifestSHA)
		return err
	})
	return l, err
}

// NewestLoadable calls load on the experiment's committed records, newest first,
// until one succeeds, and returns that record. A record whose load fails because a
// blob is corrupt, missing or malformed is refused as Latest describes; any other
// error stops the search. None left is ErrNoCheckpoint.
func NewestLoadable(ctx context.Context, ledger Ledger, store storage.Store, experiment string, log *slog.Logger, load func(Record) error) (Record, error) {
	if log == nil {
		log = slog.Default()
	}
	records, err := ledger.List(ctx, experiment)
	if err != nil {
		return Record{}, err
	}
	recorder, _ := ledger.(RefusalRecorder)
	for i := len(records) - 1; i >= 0; i-- {
		r := records[i]
		err := load(r)
		if err == nil {
			recordResume(ctx, ledger, experiment, log, &r)
			return r, nil
		}
		if !errors.Is(err, storage.ErrCorrupt) && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, ErrMalformed) {
			return Record{}, err
		}
		ref := Refusal{Record: r, Blob: failedBlob(ctx, store, r, err), Err: err}
		log.Warn("checkpoint refused, falling back to the previous one", "experiment", experiment, "step", r.Step,
			"manifest", r.ManifestSHA, "blob", ref.Blob, "error", err)
		if recorder != nil {
			if rerr := recorder.RecordRefusal(ctx, ref); rerr != nil {
				log.Warn("record checkpoint refusal", "experiment", experiment, "step", r.Step, "error", rerr)
			}
		}
	}
	if len(records) > 0 {
		recordResume(ctx, ledger, experiment, log, nil)
	}
	return Record{}, fmt.Errorf("experiment %s: %w", experiment, ErrNoCheckpoint)
}

// recordResume tells a ResumeRecorder ledger where the resume continued from; a
// failure is logged and does not stop the resume.
func recordResume(ctx context.Context, ledger Ledger, experiment string, log *slog.Logger, from *Record) {
	rec, ok := ledger.(ResumeRecorder)
	if !ok {
		return
	}
	if err := rec.RecordResume(ctx, from); err != nil {
		log.Warn("record where the resume continued from", "experiment", experiment, "error", err)
	}
}

// failedBlob singles out the blob that made Load fail: the first of the manifest and
// the blobs it names that no longer verifies (flipped, truncated or missing), else —
// a blob whose bytes hash right but do not parse — the first of them loadErr names.
func failedBlob(ctx context.Context, store storage.Store, r Record, loadErr error) string {
	candidates := append([]string{r.ManifestSHA}, r.Blobs...)
	for _, sha := range candidates {
		if _, err := storage.VerifyBlob(ctx, store, sha); errors.Is(err, storage.ErrCorrupt) || errors.Is(err, storage.ErrNotFound) {
			return sha
		}
	}
	msg := loadErr.Error()
	best, at := "", len(msg)
	for _, sha := range r.Blobs { // the manifest is named in every Load error; prefer a blob
		if i := strings.Index(msg, sha); i >= 0 && i < at {
			best, at = sha, i
		}
	}
	if best == "" && strings.Contains(msg, r.ManifestSHA) {
		best = r.ManifestSHA
	}
	return best
}
