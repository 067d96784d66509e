package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// peerConfig is one point of PyTorch's thread settings, and whether subnormal floats
// are flushed to zero.
type peerConfig struct {
	Torch, OpenMP, OpenBLAS int
	FlushDenormal           bool
}

func (c peerConfig) String() string {
	s := fmt.Sprintf("torch=%d OMP=%d OPENBLAS=%d", c.Torch, c.OpenMP, c.OpenBLAS)
	if c.FlushDenormal {
		s += " FTZ"
	}
	return s
}

// peerConfigs is the sweep: every combination of one or two threads for torch's
// intra-op pool, OpenMP and OpenBLAS (which fight each other differently per model).
func peerConfigs(maxThreads int) []peerConfig {
	var out []peerConfig
	for t := 1; t <= maxThreads; t++ {
		for o := 1; o <= maxThreads; o++ {
			for b := 1; b <= maxThreads; b++ {
				out = append(out, peerConfig{Torch: t, OpenMP: o, OpenBLAS: b})
			}
		}
	}
	return out
}

type peer struct {
	python, script string
}

// command runs peer.py with the config's environment; OPENBLAS_CORETYPE and
// OPENBLAS_L2_SIZE are dropped for it, as they pin an older, slower OpenBLAS kernel.
func (p peer) command(c peerConfig, args ...string) ([]byte, error) {
	args = append(args, "--threads", strconv.Itoa(c.Torch))
	if c.FlushDenormal {
		args = append(args, "--flush-denormal")
	}
	cmd := exec.Command(p.python, append([]string{p.script}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENBLAS_") && !strings.HasPrefix(kv, "OMP_NUM_THREADS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, fmt.Sprintf("OMP_NUM_THREADS=%d", c.OpenMP), fmt.Sprintf("OPENBLAS_NUM_THREADS=%d", c.OpenBLAS))
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("peer %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out.Bytes(), nil
}

func (p peer) sweepRate(c peerConfig, data, model string, steps int) (float64, error) {
	out, err := p.command(c, "sweep", data, "--model", model, "--steps", strconv.Itoa(steps))
	if err != nil {
		return 0, err
	}
	var r struct {
		TrainRate float64 `json:"train_rate"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return 0, fmt.Errorf("peer sweep output %q: %w", out, err)
	}
	return r.TrainRate, nil
}

type peerEpoch struct {
	TrainS  float64  `json:"train_s"`
	TrainN  int      `json:"train_n"`
	ValS    float64  `json:"val_s"`
	ValN    int      `json:"val_n"`
	CkptS   float64  `json:"ckpt_s"`
	ValAcc  float64  `json:"val_acc"`
	Elapsed float64  `json:"elapsed_s"`
	TestAcc *float64 `json:"test_acc"`
}

func (p peer) run(c peerConfig, data, model string, epochs int) (runResult, error) {
	out, err := p.command(c, "run", data, "--model", model, "--epochs", strconv.Itoa(epochs))
	if err != nil {
		return runResult{}, err
	}
	r := runResult{Config: c.String()}
	var trainS, valS float64
	var trainN, valN int
	prev := 0.0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var e peerEpoch
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return runResult{}, fmt.Errorf("peer output %q: %w", sc.Text(), err)
		}
		if e.TestAcc != nil {
			r.TestAcc = *e.TestAcc
			continue
		}
		trainS, valS, trainN, valN = trainS+e.TrainS, valS+e.ValS, trainN+e.TrainN, valN+e.ValN
		r.Accuracy = append(r.Accuracy, e.ValAcc)
		r.Elapsed = append(r.Elapsed, seconds(e.Elapsed))
		r.EpochWall = append(r.EpochWall, seconds(e.Elapsed-prev))
		prev = e.Elapsed
	}
	if trainS == 0 || valS == 0 {
		return runResult{}, fmt.Errorf("peer printed no epoch: %q", out)
	}
	r.TrainRate, r.ValRate, r.TrainTotal = float64(trainN)/trainS, float64(valN)/valS, seconds(prev)
	return r, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
