// Command torcheval measures the validator's evaluation of a torch run (issue 14's
// figure): the example lesion ResNet's exported ONNX model scored through ONNX Runtime
// in Go, in batches of 256 as `dxtrain checkpoints evaluate` and `models release` do,
// against PyTorch's own eval-mode inference of the same model on the same images, in
// one run on this machine. ONNX Runtime's outputs are first checked against PyTorch's
// on a batch (≤ 1e-4). Each side's best of --rounds passes is reported; both use
// their libraries' default thread pools.
//
// It needs Debian's python3-torch and the ONNX Runtime library; `make bench` runs it.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/datasets/synth"
	"github.com/dxtrain/dxtrain/models/onnx"
)

const batch = 256

type peerResult struct {
	Images  int     `json:"images"`
	Seconds float64 `json:"seconds"`
	Threads int     `json:"threads"`
	Torch   string  `json:"torch"`
}

func main() {
	python := flag.String("python", "/usr/bin/python3", "the Python with torch")
	n := flag.Int("images", 4000, "synthetic 28×28 lesion images")
	rounds := flag.Int("rounds", 3, "passes over the images; the best is reported")
	flag.Parse()
	if err := run(*python, *n, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "torcheval:", err)
		os.Exit(1)
	}
}

func run(python string, n, rounds int) error {
	dir, err := os.MkdirTemp("", "dxtrain-torcheval-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	x := lesionPixels(n)
	imagesPath, onnxPath := filepath.Join(dir, "images.npy"), filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(imagesPath, npyFloat32(x, n, 1, 28, 28), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(python, "bench/torcheval/peer.py", "examples/torch/lesions_resnet", imagesPath, onnxPath,
		fmt.Sprint(batch), fmt.Sprint(rounds))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("the PyTorch peer: %w", err)
	}
	var peer peerResult
	if err := json.Unmarshal(out, &peer); err != nil {
		return fmt.Errorf("the PyTorch peer printed %q: %w", out, err)
	}
	model, err := os.ReadFile(onnxPath)
	if err != nil {
		return err
	}
	var samples [2][]byte
	for i, suffix := range []string{".inputs.npy", ".outputs.npy"} {
		if samples[i], err = os.ReadFile(onnxPath + suffix); err != nil {
			return err
		}
	}
	diff, err := onnx.CheckSamples(model, samples[0], samples[1])
	if err != nil {
		return fmt.Errorf("ONNX Runtime does not reproduce PyTorch: %w", err)
	}
	best, err := timeONNX(model, x, n, rounds)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ENGINE\tIMAGES\tSECONDS\tIMAGES/S\tRATIO\n")
	ours, theirs := float64(n)/best.Seconds(), float64(peer.Images)/peer.Seconds
	fmt.Fprintf(tw, "PyTorch %s eval (%d threads)\t%d\t%.3f\t%.0f\t1.00\n", peer.Torch, peer.Threads, peer.Images, peer.Seconds, theirs)
	fmt.Fprintf(tw, "dxtrain: ONNX Runtime in Go, batch %d\t%d\t%.3f\t%.0f\t%.2f\n", batch, n, best.Seconds(), ours, ours/theirs)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Printf("ONNX Runtime's probabilities of the first %d images agree with PyTorch's to max |diff| %.2g\n", batch, diff)
	return nil
}

// timeONNX is the best of rounds passes of the model over x in batches.
func timeONNX(model []byte, x []float32, n, rounds int) (time.Duration, error) {
	sess, err := onnx.Load(model)
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	in := sess.InputSize()
	best := time.Duration(math.MaxInt64)
	for range rounds {
		start := time.Now()
		for lo := 0; lo < n; lo += batch {
			k := min(batch, n-lo)
			if _, err := sess.Run(x[lo*in:(lo+k)*in], k); err != nil {
				return 0, err
			}
		}
		best = min(best, time.Since(start))
	}
	return best, nil
}

// lesionPixels are n synthetic lesion patches as the ingest pipeline stores them:
// pixels in [0, 1].
func lesionPixels(n int) []float32 {
	im := synth.GenerateLesions(n, 1)
	x := make([]float32, len(im.Pixels))
	for i, p := range im.Pixels {
		x[i] = float32(p) / 255
	}
	return x
}

// npyFloat32 is a float32 C-order .npy file of the given shape.
func npyFloat32(x []float32, shape ...int) []byte {
	dims := ""
	for _, d := range shape {
		dims += fmt.Sprintf("%d, ", d)
	}
	hdr := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims[:len(dims)-2])
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	out := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), byte(len(hdr)>>8))
	out = append(out, hdr...)
	for _, v := range x {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}
