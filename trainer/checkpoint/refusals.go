package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

// StoredRefusal is a StoreLedger's durable record of a refused checkpoint: what the
// cluster keeps as a checkpoint_refused alert, for runs without a cluster.
type StoredRefusal struct {
	Step        int64     `json:"step"`
	ManifestSHA string    `json:"manifest_sha256"`
	Blob        string    `json:"blob,omitempty"`
	Reason      string    `json:"reason"`
	Time        time.Time `json:"time"`
}

func refusalPrefix(experiment string) string { return "refusals/" + experiment + "/" }

var _ RefusalRecorder = StoreLedger{}

// RecordRefusal writes refusals/<experiment>/<manifest>.json, once: the first refusal
// of a checkpoint is the evidence kept.
func (l StoreLedger) RecordRefusal(ctx context.Context, r Refusal) error {
	key := refusalPrefix(r.Record.Experiment) + r.Record.ManifestSHA + ".json"
	if _, err := l.Store.Stat(ctx, key); err == nil {
		return nil
	}
	data, err := json.Marshal(StoredRefusal{Step: r.Record.Step, ManifestSHA: r.Record.ManifestSHA, Blob: r.Blob,
		Reason: fmt.Sprint(r.Err), Time: time.Now().UTC()})
	if err != nil {
		return err
	}
	if err := l.Store.Put(ctx, key, strings.NewReader(string(data)), int64(len(data))); err != nil {
		return fmt.Errorf("record refusal of checkpoint %s step %d: %w", r.Record.Experiment, r.Record.Step, err)
	}
	return nil
}

// Refusals reads the experiment's refused checkpoints by manifest SHA-256.
func (l StoreLedger) Refusals(ctx context.Context, experiment string) (map[string]StoredRefusal, error) {
	infos, err := l.Store.List(ctx, refusalPrefix(experiment))
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("list refused checkpoints of %s: %w", experiment, err)
	}
	out := make(map[string]StoredRefusal, len(infos))
	for _, info := range infos {
		rc, err := l.Store.Get(ctx, info.Key)
		if err != nil {
			return nil, fmt.Errorf("refused checkpoints of %s: %w", experiment, err)
		}
		body, err := io.ReadAll(io.LimitReader(rc, 1<<20))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("refused checkpoints of %s: %s: %w", experiment, info.Key, err)
		}
		var r StoredRefusal
		if err := json.Unmarshal(body, &r); err != nil || r.ManifestSHA == "" {
			return nil, fmt.Errorf("refused checkpoints of %s: record %s: %w", experiment, info.Key, ErrMalformed)
		}
		out[r.ManifestSHA] = r
	}
	return out, nil
}
