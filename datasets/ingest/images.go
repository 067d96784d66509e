package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/dxtrain/dxtrain/datasets"
	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/gate"
	"github.com/dxtrain/dxtrain/datasets/readers"
	"github.com/dxtrain/dxtrain/datasets/shards"
)

// imageSource is decoded image input: either one set to split, or three
// predefined parts (test may be nil for IDX without t10k files).
type imageSource struct {
	all        *readers.Images
	parts      [3]*readers.Images
	predefined bool
	sha        string
	bytes      int64
}

// mnistNames are the IDX files of an MNIST-style directory, each optionally gzipped.
var mnistNames = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

// readImages decodes IDX (a directory) or NPZ input and hashes the bytes read.
func readImages(format deid.Format, path string, maxBytes int64) (*imageSource, error) {
	if format == deid.FormatNPZ {
		sha, size, err := hashFiles(path)
		if err != nil {
			return nil, err
		}
		m, err := readers.LoadMedMNIST(path, maxBytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
		return &imageSource{parts: m.Parts(), predefined: true, sha: sha, bytes: size}, nil
	}
	var files [4]string
	for i, name := range mnistNames {
		for _, candidate := range []string{name, name + ".gz"} {
			if _, err := os.Stat(filepath.Join(path, candidate)); err == nil {
				files[i] = filepath.Join(path, candidate)
				break
			}
		}
	}
	if files[0] == "" || files[1] == "" || (files[2] == "") != (files[3] == "") {
		return nil, fmt.Errorf("%w: %s: want an MNIST-style directory with %s and %s (and optionally both t10k files), each optionally .gz",
			ErrInput, path, mnistNames[0], mnistNames[1])
	}
	present := slices.DeleteFunc(slices.Clone(files[:]), func(s string) bool { return s == "" })
	sha, size, err := hashFiles(present...)
	if err != nil {
		return nil, err
	}
	train, err := readers.LoadIDXImages(files[0], files[1], maxBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	src := &imageSource{sha: sha, bytes: size}
	if files[2] == "" {
		src.all = train
		return src, nil
	}
	test, err := readers.LoadIDXImages(files[2], files[3], maxBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	src.parts = [3]*readers.Images{train, nil, test}
	src.predefined = true
	return src, nil
}

// hashFiles is the SHA-256 of the files' concatenation, in the given order.
func hashFiles(paths ...string) (string, int64, error) {
	h := sha256.New()
	var total int64
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return "", 0, fmt.Errorf("%w: %w", ErrInput, err)
		}
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", 0, fmt.Errorf("%w: read %s: %w", ErrInput, p, err)
		}
		total += n
	}
	return hex.EncodeToString(h.Sum(nil)), total, nil
}

// imageGateTable is what the gate sees of image input: the column names
// and the class of every record. Pixel arrays hold no text to scan.
func imageGateTable(src *imageSource, labelName string, classes []string, k int) (*gate.Table, error) {
	t := &gate.Table{Header: []string{"image", labelName}, K: k,
		Columns: []gate.Column{{Role: string(deid.RoleFeature)}, {Role: string(deid.RoleLabel)}}}
	sets := src.parts[:]
	if src.all != nil {
		sets = []*readers.Images{src.all}
	}
	for _, im := range sets {
		if im == nil {
			continue
		}
		for i, y := range im.Y {
			if int(y) >= len(classes) {
				return nil, inputError("labels", i+1, labelName,
					fmt.Errorf("%w: class index out of the %d declared classes", datasets.ErrUnknownLabel, len(classes)))
			}
			t.Rows = append(t.Rows, []string{"", classes[y]})
		}
	}
	return t, nil
}

// prepareImages splits (unless predefined) and computes per-channel
// statistics of the training images.
func prepareImages(spec *deid.IngestSpec, src *imageSource, seed uint64, fracs [3]float64) (*prepared, error) {
	var parts [3]*readers.Images
	p := &prepared{transforms: []deid.Transform{}}
	p.split = shards.Split{Seed: seed, Fractions: fracs, Predefined: src.predefined}
	switch {
	case src.all != nil:
		sp, err := datasets.StratifiedSplit(src.all.Y, len(spec.Label.Classes), fracs[0], fracs[1], fracs[2], seed)
		if err != nil {
			return nil, fmt.Errorf("%w: split: %w", ErrConfig, err)
		}
		for i, rows := range [3][]int{sp.Train, sp.Validation, sp.Test} {
			parts[i] = subset(src.all, rows)
		}
	case src.parts[1] == nil: // IDX train + t10k: carve validation out of train
		sum := fracs[0] + fracs[1]
		if sum <= 0 {
			return nil, fmt.Errorf("%w: train and validation fractions are both zero", ErrConfig)
		}
		sp, err := datasets.StratifiedSplit(src.parts[0].Y, len(spec.Label.Classes), fracs[0]/sum, fracs[1]/sum, 0, seed)
		if err != nil {
			return nil, fmt.Errorf("%w: split: %w", ErrConfig, err)
		}
		parts = [3]*readers.Images{subset(src.parts[0], sp.Train), subset(src.parts[0], sp.Validation), src.parts[2]}
	default:
		parts = src.parts
		p.split.Fractions = [3]float64{}
	}
	im := parts[0]
	for _, q := range parts {
		if q.C != im.C || q.H != im.H || q.W != im.W {
			return nil, fmt.Errorf("%w: the parts have different image shapes", ErrInput)
		}
		p.records += int64(q.N)
	}
	p.schema = shards.Schema{Kind: shards.KindImage, FeatureShape: im.Shape(), LabelColumn: "label", Classes: slices.Clone(spec.Label.Classes)}
	p.columns = []shards.Column{
		{Name: "image", Source: "image", Role: string(deid.RoleFeature), Stored: shards.TensorFeatures},
		{Name: "label", Source: "label", Role: string(deid.RoleLabel), Stored: shards.TensorLabels},
	}
	for i, q := range parts {
		p.parts[i] = &shards.Records{X: q.X, Y: q.Y, Subgroups: [][]int32{}}
	}
	p.stats = channelStats(im)
	p.gateNote = fmt.Sprintf("%s input holds pixel arrays and class labels only, no identifiers or text: the gate checked the column names and the labels; it cannot see identifiers burnt into pixels", spec.Input.Format)
	return p, nil
}

// subset copies the given images.
func subset(im *readers.Images, rows []int) *readers.Images {
	f := im.C * im.H * im.W
	out := &readers.Images{N: len(rows), C: im.C, H: im.H, W: im.W, X: make([]float32, 0, len(rows)*f), Y: make([]int32, 0, len(rows))}
	for _, r := range rows {
		out.X = append(out.X, im.X[r*f:(r+1)*f]...)
		out.Y = append(out.Y, im.Y[r])
	}
	return out
}

// channelStats is each channel's mean and population std (1 when constant).
func channelStats(im *readers.Images) shards.FeatureStats {
	hw := im.H * im.W
	st := shards.FeatureStats{Axis: shards.AxisChannel, Mean: make([]float64, im.C), Std: make([]float64, im.C)}
	for c := range im.C {
		var sum, sq float64
		for n := range im.N {
			for _, v := range im.X[(n*im.C+c)*hw : (n*im.C+c+1)*hw] {
				sum += float64(v)
			}
		}
		count := float64(im.N * hw)
		if count == 0 {
			st.Std[c] = 1
			continue
		}
		mean := sum / count
		for n := range im.N {
			for _, v := range im.X[(n*im.C+c)*hw : (n*im.C+c+1)*hw] {
				d := float64(v) - mean
				sq += d * d
			}
		}
		st.Mean[c] = mean
		st.Std[c] = sq / count
		if st.Std[c] < 1e-24 {
			st.Std[c] = 1
		} else {
			st.Std[c] = math.Sqrt(st.Std[c])
		}
	}
	return st
}
