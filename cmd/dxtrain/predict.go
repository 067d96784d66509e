package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/datasets"
	"github.com/dxtrain/dxtrain/datasets/readers"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/models/release"
)

func newPredictCommand() *cobra.Command {
	var modelPath, inputPath, pubPath, split string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "predict --model model.onnx|DIR/ [--pubkey approver.pub] --input rows.csv",
		Short: "Run an exported model or a verified release through ONNX Runtime and print each row's probabilities",
		Long: `Run an exported dxtrain model through ONNX Runtime on raw measurements.

--model is an ONNX file, or a release directory (from dxtrain models pull) together
with --pubkey: the directory is verified first (signature, hashes, agreement of the
card, the statement and the model) and refused if anything does not match; the
feature and class names then come from the signed card.

The CSV needs a header with the model's feature columns (the model records their
names); other columns are ignored. An .npz input holds images in the MedMNIST layout
(train_images, val_images, test_images; uint8); --split chooses which. An IDX images
file (*-ubyte or *.idx, gzipped or not: MNIST's format, as datasets ingest reads it)
holds one image per row. The model standardises the inputs itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			model, features, classes, err := loadPredictModel(modelPath, pubPath)
			if err != nil {
				return err
			}
			sess, err := onnx.Load(model)
			if err != nil {
				return err
			}
			defer sess.Close()
			x, n, err := readPredictInput(inputPath, split, features, sess.InputSize())
			if err != nil {
				return err
			}
			probs, err := sess.Run(x, n)
			if err != nil {
				return err
			}
			return printPredictions(probs, n, classes, asJSON)
		},
	}
	cmd.Flags().StringVar(&modelPath, "model", "", "the ONNX model file, or a release directory (required)")
	cmd.Flags().StringVar(&pubPath, "pubkey", "", "the approver's public key: required with a release directory")
	cmd.Flags().StringVar(&inputPath, "input", "", "CSV of raw measurements with a header, images in a MedMNIST-layout .npz, or an IDX images file (required)")
	cmd.Flags().StringVar(&split, "split", "test", "with an .npz input: which split's images (train, val or test)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	_ = cmd.MarkFlagRequired("model")
	_ = cmd.MarkFlagRequired("input")
	return cmd
}

// loadPredictModel returns the model bytes with its feature and class names: from a
// verified release directory's signed card, or from a plain ONNX file's metadata.
// isReleaseDir reports whether dir holds a pulled release (its statement and signature
// beside the model).
func isReleaseDir(dir string) bool {
	for _, f := range []string{release.StatementFile, release.SignatureFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

func loadPredictModel(modelPath, pubPath string) (model []byte, features, classes []string, err error) {
	fi, err := os.Stat(modelPath)
	if err != nil {
		return nil, nil, nil, err
	}
	if fi.IsDir() {
		if pubPath == "" {
			return nil, nil, nil, fmt.Errorf("%s is a release directory: give the approver's public key with --pubkey to verify it", modelPath)
		}
		pub, err := release.LoadPublicKey(pubPath)
		if err != nil {
			return nil, nil, nil, err
		}
		v, err := release.VerifyDir(modelPath, pub)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("refusing to run %s: %w", modelPath, err)
		}
		if err := checkRevocations(context.Background(), v, pub); err != nil {
			return nil, nil, nil, fmt.Errorf("refusing to run %s: %w", modelPath, err)
		}
		return v.Files.ONNX, v.Card.Features, v.Card.Classes, nil
	}
	if pubPath != "" {
		return nil, nil, nil, fmt.Errorf("--pubkey verifies a release directory; %s is a single file with no signature (pull a release with dxtrain models pull)", modelPath)
	}
	if dir := filepath.Dir(modelPath); isReleaseDir(dir) {
		fmt.Fprintf(os.Stderr, "warning: %s is the model of a release, run without verifying it (signature, hashes, revocation): "+
			"give the folder and the approver's key instead, dxtrain predict --model %s --pubkey APPROVER.pub (or dxtrain models verify %s --pubkey APPROVER.pub)\n",
			modelPath, dir, dir)
	}
	model, err = os.ReadFile(modelPath)
	if err != nil {
		return nil, nil, nil, err
	}
	meta, err := onnx.ReadMetadata(model)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	if err := json.Unmarshal([]byte(meta["dxtrain.features"]), &features); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: metadata dxtrain.features: %w", modelPath, err)
	}
	if err := json.Unmarshal([]byte(meta["dxtrain.classes"]), &classes); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: metadata dxtrain.classes: %w", modelPath, err)
	}
	return model, features, classes, nil
}

// Prediction is one row's output.
type Prediction struct {
	Row           int                `json:"row"`
	Probabilities map[string]float32 `json:"probabilities"`
	Predicted     string             `json:"predicted"`
}

func printPredictions(probs []float32, n int, classes []string, asJSON bool) error {
	per := len(probs) / n
	preds := make([]Prediction, n)
	for i := range preds {
		p := Prediction{Row: i + 1, Probabilities: map[string]float32{}}
		if per == 1 { // sigmoid head: the probability of the positive (last) class
			pos := probs[i]
			p.Probabilities[classes[0]], p.Probabilities[classes[1]] = 1-pos, pos
			p.Predicted = classes[0]
			if pos >= 0.5 {
				p.Predicted = classes[1]
			}
		} else {
			best := 0
			for c := 0; c < per; c++ {
				p.Probabilities[classes[c]] = probs[i*per+c]
				if probs[i*per+c] > probs[i*per+best] {
					best = c
				}
			}
			p.Predicted = classes[best]
		}
		preds[i] = p
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(preds)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "row")
	for _, c := range classes {
		fmt.Fprintf(tw, "\tP(%s)", c)
	}
	fmt.Fprintln(tw, "\tpredicted")
	for _, p := range preds {
		fmt.Fprintf(tw, "%d", p.Row)
		for _, c := range classes {
			fmt.Fprintf(tw, "\t%.4f", p.Probabilities[c])
		}
		fmt.Fprintf(tw, "\t%s\n", p.Predicted)
	}
	return tw.Flush()
}

// readPredictInput reads the rows to predict: tabular features by name from a CSV, or
// one split of the images of a MedMNIST-layout .npz, checked against the model's input.
func readPredictInput(path, split string, features []string, inputSize int) ([]float32, int, error) {
	if strings.EqualFold(filepath.Ext(path), ".npz") {
		m, err := readers.LoadMedMNIST(path, 0)
		if err != nil {
			return nil, 0, err
		}
		var im *readers.Images
		switch split {
		case "train":
			im = m.Train
		case "val", "validation":
			im = m.Validation
		case "test":
			im = m.Test
		default:
			return nil, 0, fmt.Errorf("--split %q: want train, val or test", split)
		}
		if im == nil || im.N == 0 {
			return nil, 0, fmt.Errorf("%s: no %s images", path, split)
		}
		if per := im.C * im.H * im.W; per != inputSize {
			return nil, 0, fmt.Errorf("%s: images of %d×%d×%d values, the model takes %d", path, im.C, im.H, im.W, inputSize)
		}
		return im.X, im.N, nil
	}
	if isIDX(path) {
		return readIDXImages(path, inputSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return datasets.ReadFeaturesCSV(f, path, features)
}

// isIDX reports whether path names an IDX file (MNIST's format, as datasets ingest
// reads it), gzipped or not.
func isIDX(path string) bool {
	p := strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
	return strings.HasSuffix(p, "-ubyte") || strings.HasSuffix(p, ".idx")
}

// readIDXImages reads an IDX images file ([n, h, w] or [n, c, h, w]) as pixels in [0, 1].
func readIDXImages(path string, inputSize int) ([]float32, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	a, err := readers.ReadIDX(f, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if len(a.Dims) < 2 || a.Dims[0] == 0 {
		return nil, 0, fmt.Errorf("%s: an IDX array of shape %v holds no images", path, a.Dims)
	}
	per := 1
	for _, d := range a.Dims[1:] {
		per *= d
	}
	if per != inputSize {
		return nil, 0, fmt.Errorf("%s: images of shape %v, the model takes %d values each", path, a.Dims[1:], inputSize)
	}
	x, err := a.Pixels()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return x, a.Dims[0], nil
}
