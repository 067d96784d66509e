package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedFileIsCurrent fails when sgemm_kernel_amd64.s was edited by hand or the
// generator changed without `go generate ./kernels`.
func TestGeneratedFileIsCurrent(t *testing.T) {
	have, err := os.ReadFile("../../sgemm_kernel_amd64.s")
	if err != nil {
		t.Fatalf("read generated kernels: %v", err)
	}
	if !bytes.Equal(have, generate()) {
		t.Fatal("kernels/sgemm_kernel_amd64.s differs from the generator's output: run go generate ./kernels")
	}
}
