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
	Experiment  string             `json:"experiment"`
	Step        int64              `json:"step"`
	Epoch       int                `json:"epoch"`
	ManifestSHA string             `json:"manifest_sha256"`
	Blobs       []string           `json:"blobs"` // SHA-256 of every blob the manifest names
	WorldSize   int                `json:"world_size"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	Created     time.Time          `json:"created"`
}

// Ledger is where a checkpoint comes to exist. In a cluster it is the coordinator's
// Raft-replicated ledger; on one machine it is StoreLedger.
type Ledger interface {
	// Commit records a checkpoint whose blobs are already uploaded and verified.
	Commit(ctx context.Context, r Record) error
	// List returns the experiment's committed checkpoints, oldest step first.
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

// List reads every record of the experiment.
func (l StoreLedger) List(ctx context.Context, experiment string) ([]Record, error) {
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
	sort.SliceStable(records, func(i, j int) bool { return records[i].Step < records[j].Step })
	return records, nil
}

// Latest loads the newest committed checkpoint that verifies. A corrupt one is
// refused with an alert in the log, and the previous committed one is tried, so that
// a damaged blob costs progress, never correctness.
func Latest(ctx context.Context, ledger Ledger, store storage.Store, experiment string, log *slog.Logger) (*Loaded, error) {
	if log == nil {
		log = slog.Default()
	}
	records, err := ledger.List(ctx, experiment)
	if err != nil {
		return nil, err
	}
	for i := len(records) - 1; i >= 0; i-- {
		l, err := Load(ctx, store, records[i].ManifestSHA)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, storage.ErrCorrupt) && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, ErrMalformed) {
			return nil, err
		}
		log.Warn("checkpoint refused, falling back to the previous one", "experiment", experiment, "step", records[i].Step, "manifest", records[i].ManifestSHA, "error", err)
	}
	return nil, fmt.Errorf("experiment %s: %w", experiment, ErrNoCheckpoint)
}
