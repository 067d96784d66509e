package main

import (
	"testing"

	"github.com/dxtrain/dxtrain/models"
)

func TestStepFlopsCountsEachProductOnce(t *testing.T) {
	const batch = 128
	mlp, err := models.NewNetwork(shapes["mlp"])
	if err != nil {
		t.Fatal(err)
	}
	// forward and weight gradient of 784-256, 256-128, 128-10; input gradients of the last two.
	fwd := float64(batch * (784*256 + 256*128 + 128*10))
	want := 2 * (2*fwd + float64(batch*(256*128+128*10)))
	if got := stepFlops(mlp, batch); got != want {
		t.Errorf("mlp: %v flops, want %v", got, want)
	}
	cnn, err := models.NewNetwork(shapes["cnn"])
	if err != nil {
		t.Fatal(err)
	}
	conv0 := float64(batch * 32 * 28 * 28 * 1 * 9)
	conv1 := float64(batch * 64 * 14 * 14 * 32 * 9)
	dense := float64(batch * (64*7*7*128 + 128*10))
	want = 2 * (2*conv0 + 3*conv1 + 3*dense)
	if got := stepFlops(cnn, batch); got != want {
		t.Errorf("cnn: %v flops, want %v", got, want)
	}
}

func TestClassifySortsStacksByTheirWork(t *testing.T) {
	const k = "github.com/dxtrain/dxtrain/kernels."
	for _, tc := range []struct {
		stack []string // leaf first
		want  string
	}{
		{[]string{k + "sgemmKernel8x32AVX512", k + "kernel8x32AVX512", k + "(*gemmArgs).runTile"}, kindKernel},
		{[]string{"runtime.asyncPreempt", k + "sgemmKernel8x32AVX512"}, kindKernel},
		{[]string{k + "sgemmAVX512R8V1", k + "edgeAVX512", k + "(*gemmArgs).runTile"}, kindKernel},
		{[]string{k + "packB", k + "(*gemmArgs).runTile"}, kindTiling},
		{[]string{k + "transpose16AVX512", k + "transpose16Checked", k + "packB", k + "(*gemmArgs).runTile"}, kindTiling},
		{[]string{k + "transpose16AVX512", k + "transpose16Checked", k + "transposeBlock", k + "transpose", k + "channelsLast.unpool"}, kindElement},
		{[]string{"runtime.memmove", k + "im2colShifted", k + "Im2col"}, kindIm2col},
		{[]string{"runtime.memmove", k + "(*gemmArgs).edgeTile"}, kindTiling},
		{[]string{"runtime.memclrNoHeapPointers", "main.step"}, kindCopy},
		{[]string{"runtime.futex", "runtime.notesleep", "runtime.schedule", k + "work"}, kindSync},
		{[]string{"time.runtimeNow", "time.Now", k + "spin", k + "work.func1"}, kindSync},
		{[]string{"time.runtimeNow", "time.Now", k + "spin", k + "runParallel", k + "Parallel"}, kindSync},
		{[]string{k + "(*parts).claim", k + "(*gemmCall).help", k + "runParallel"}, kindSync},
		{[]string{k + "reluBackwardAVX2", k + "(*ReLUMaskEpilogue).Apply", k + "(*gemmCall).tile"}, kindElement},
		{[]string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}, kindAlloc},
		{[]string{k + "adamAVX512", k + "(*adamCall).update"}, kindOptim},
		{[]string{k + "reluBackwardAVX2", k + "ReLUBackward"}, kindElement},
		{[]string{"gorgonia.org/gorgonia.(*tapeMachine).RunAll"}, kindGraph},
	} {
		if got := classify(tc.stack); got != tc.want {
			t.Errorf("classify(%v) = %q, want %q", tc.stack, got, tc.want)
		}
	}
}
