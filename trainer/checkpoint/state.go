package checkpoint

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/safetensors"
	"github.com/dxtrain/dxtrain/storage"
)

// State is a point-in-time copy of everything a checkpoint holds. The step loop
// captures it (a memory copy) and goes on; the writer encodes and uploads it.
type State struct {
	Experiment  string
	Cursor      Cursor
	Parent      string // see Manifest.Parent; a Writer fills it in when empty
	RNG         RNG
	Metrics     map[string]float64
	WorldSize   int
	Network     models.Network
	Preprocess  models.Preprocess
	Params      []*models.Param // copies, not the live tensors
	Optimizer   []*models.Param // copies of the optimizer's state tensors
	DatasetHash string
	SpecHash    string
	CodeVersion string
	// Evaluate, when set, computes metrics from the snapshot's parameters (Params)
	// inside Save, that is on the Writer's goroutine: a validation pass then runs
	// beside training instead of stopping the step loop at every checkpoint. Its
	// metrics are added to Metrics (replacing equal names); an error fails the
	// checkpoint. It must only read what it is given and immutable data.
	Evaluate func(params []*models.Param) (map[string]float64, error)
}

// CloneTensors copies parameter values (not gradients) so that training can go on
// mutating the originals. The copies' arrays come from a pool that Writer refills once
// it has written a checkpoint, so a run that checkpoints through a Writer reuses two
// snapshots' worth of memory instead of allocating (and zeroing) a new one each time.
func CloneTensors(params []*models.Param) []*models.Param {
	out := make([]*models.Param, len(params))
	for i, p := range params {
		data := snapshots.get(len(p.Data))
		copy(data, p.Data)
		out[i] = &models.Param{Name: p.Name, Shape: append([]int(nil), p.Shape...), Data: data}
	}
	return out
}

// recycle gives the arrays of a written checkpoint's snapshot back to the pool; arrays
// CloneTensors did not hand out are left alone.
func recycle(st *State) {
	for _, params := range [][]*models.Param{st.Params, st.Optimizer} {
		for _, p := range params {
			snapshots.put(p.Data)
		}
	}
}

// encodeTensors is the safetensors encoding of params, reading their arrays in place.
func encodeTensors(params []*models.Param, meta map[string]string) (*safetensors.Encoding, error) {
	tensors := make([]safetensors.Tensor, len(params))
	for i, p := range params {
		tensors[i] = safetensors.F32View(p.Name, p.Shape, p.Data)
	}
	return safetensors.NewEncoding(tensors, meta)
}

// Save uploads the state's blobs, reads each back to verify its hash, and uploads the
// manifest. It returns the manifest and its SHA-256. Nothing is committed: until the
// ledger records the manifest, the blobs are orphans that garbage collection may sweep.
// The blobs are encoded straight from st's arrays (no copy), so they must not change
// until Save returns.
func Save(ctx context.Context, store storage.Store, st *State, now time.Time) (*Manifest, string, error) {
	metrics := maps.Clone(st.Metrics)
	if st.Evaluate != nil {
		extra, err := st.Evaluate(st.Params)
		if err != nil {
			return nil, "", fmt.Errorf("checkpoint %s step %d: evaluate: %w", st.Experiment, st.Cursor.Step, err)
		}
		if metrics == nil && len(extra) > 0 {
			metrics = map[string]float64{}
		}
		maps.Copy(metrics, extra)
	}
	m := &Manifest{
		FormatVersion: FormatVersion, Experiment: st.Experiment, Cursor: st.Cursor, Parent: st.Parent, RNG: st.RNG,
		Metrics: metrics, WorldSize: st.WorldSize, Network: st.Network, Preprocess: st.Preprocess,
		DatasetHash: st.DatasetHash, SpecHash: st.SpecHash, CodeVersion: st.CodeVersion, Created: now.UTC(),
	}
	for _, part := range []struct {
		name    string
		tensors []*models.Param
	}{{"params", st.Params}, {"optimizer", st.Optimizer}} {
		enc, err := encodeTensors(part.tensors, map[string]string{"experiment": st.Experiment, "part": part.name})
		if err != nil {
			return nil, "", fmt.Errorf("checkpoint %s step %d: encode %s: %w", st.Experiment, st.Cursor.Step, part.name, err)
		}
		sha, err := putVerified(ctx, store, enc)
		if err != nil {
			return nil, "", fmt.Errorf("checkpoint %s step %d: %s: %w", st.Experiment, st.Cursor.Step, part.name, err)
		}
		m.Blobs = append(m.Blobs, Blob{Name: part.name, SHA256: sha, Size: enc.Size()})
	}
	data, err := m.Encode()
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint %s step %d: encode manifest: %w", st.Experiment, st.Cursor.Step, err)
	}
	sha, err := storage.PutBlob(ctx, store, data)
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint %s step %d: upload manifest: %w", st.Experiment, st.Cursor.Step, err)
	}
	return m, sha, nil
}

// Loaded is a checkpoint read back and verified.
type Loaded struct {
	Manifest    *Manifest
	ManifestSHA string
	Params      map[string][]float32
	Optimizer   map[string][]float32
}

// LoadManifest reads and verifies a checkpoint's manifest alone (not its blobs).
func LoadManifest(ctx context.Context, store storage.Store, manifestSHA string) (*Manifest, error) {
	data, err := storage.GetBlob(ctx, store, manifestSHA)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: manifest: %w", manifestSHA, err)
	}
	return DecodeManifest(data, manifestSHA)
}

// Load reads a checkpoint by manifest hash, verifying every blob's SHA-256. A corrupt
// or missing blob is an error naming it.
func Load(ctx context.Context, store storage.Store, manifestSHA string) (*Loaded, error) {
	m, err := LoadManifest(ctx, store, manifestSHA)
	if err != nil {
		return nil, err
	}
	l := &Loaded{Manifest: m, ManifestSHA: manifestSHA}
	for _, part := range []struct {
		name string
		into *map[string][]float32
	}{{"params", &l.Params}, {"optimizer", &l.Optimizer}} {
		ref, _ := m.Blob(part.name)
		raw, err := storage.GetBlob(ctx, store, ref.SHA256)
		if err != nil {
			return nil, fmt.Errorf("load checkpoint %s: %s blob: %w", manifestSHA, part.name, err)
		}
		tensors, err := decodeTensors(raw)
		if err != nil {
			return nil, fmt.Errorf("load checkpoint %s: %s blob %s: %w", manifestSHA, part.name, ref.SHA256, err)
		}
		*part.into = tensors
	}
	if m.FormatVersion < 2 && !m.IsTorch() {
		if err := upgradeDenseLayout(m.Network, l.Params, l.Optimizer); err != nil {
			return nil, fmt.Errorf("load checkpoint %s: format version %d: %w", manifestSHA, m.FormatVersion, err)
		}
	}
	return l, nil
}

func decodeTensors(raw []byte) (map[string][]float32, error) {
	f, err := safetensors.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	out := make(map[string][]float32, len(f.Tensors))
	for _, t := range f.Tensors {
		v, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("%w: tensor %s: %v", ErrMalformed, t.Name, err)
		}
		out[t.Name] = v
	}
	return out, nil
}

// RestoreParams copies loaded values into live parameters, checking every one is
// present with the right size.
func (l *Loaded) RestoreParams(params []*models.Param) error {
	for _, p := range params {
		v, ok := l.Params[p.Name]
		if !ok {
			return fmt.Errorf("checkpoint %s: %w: parameter %s missing", l.ManifestSHA, ErrMalformed, p.Name)
		}
		if len(v) != len(p.Data) {
			return fmt.Errorf("checkpoint %s: %w: parameter %s has %d values, model has %d", l.ManifestSHA, ErrMalformed, p.Name, len(v), len(p.Data))
		}
		copy(p.Data, v)
	}
	return nil
}
