package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// shape is one SGEMM size, m×n×k.
type shape struct{ m, n, k int }

func (s shape) String() string { return fmt.Sprintf("%d×%d×%d", s.m, s.n, s.k) }

var referenceLine = regexp.MustCompile(`^openblas sgemm m=(\d+) n=(\d+) k=(\d+) gflops=([0-9.]+)$`)

// runReference runs gemm_reference.py with OpenBLAS on the given number of threads and returns
// its GFLOP/s per shape. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the child's
// environment only: they pin an older OpenBLAS kernel.
func runReference(ctx context.Context, python, script string, threads int) (map[shape]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") || strings.HasPrefix(kv, "OPENBLAS_L2_SIZE=") ||
			strings.HasPrefix(kv, "OPENBLAS_NUM_THREADS=") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, fmt.Sprintf("OPENBLAS_NUM_THREADS=%d", threads))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run %s %s (threads=%d): %w: %s", python, script, threads, err, strings.TrimSpace(stderr.String()))
	}
	res, err := parseReference(out)
	if err != nil {
		return nil, fmt.Errorf("output of %s: %w", script, err)
	}
	return res, nil
}

// parseReference reads gemm_reference.py's lines, "openblas sgemm m=M n=N k=K gflops=G".
func parseReference(out []byte) (map[shape]float64, error) {
	res := make(map[shape]float64)
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		g := referenceLine.FindStringSubmatch(strings.TrimSpace(line))
		if g == nil {
			return nil, fmt.Errorf("line %d %q: not an openblas sgemm line", i+1, line)
		}
		var dims [3]int
		for j := range dims {
			d, err := strconv.Atoi(g[j+1])
			if err != nil || d < 1 {
				return nil, fmt.Errorf("line %d field %d %q: not a positive size", i+1, j+1, g[j+1])
			}
			dims[j] = d
		}
		gf, err := strconv.ParseFloat(g[4], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d gflops %q: %w", i+1, g[4], err)
		}
		res[shape{dims[0], dims[1], dims[2]}] = gf
	}
	return res, nil
}
