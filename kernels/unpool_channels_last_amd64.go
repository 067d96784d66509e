//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// unpoolChannelsLastAVX512 is unpoolChannelsLast's kernel (unpool_channels_last_amd64.s);
// arg holds the transposed argmax as raw int32 bits.
//
//go:noescape
func unpoolChannelsLastAVX512(dy, arg, dx *float32, win *int32, windows, groups, w, hw int) int

func init() {
	if cpu.X86.HasAVX512F && transpose16 != nil {
		unpoolChannelsLast = unpoolChannelsLastChecked
	}
}

// unpoolChannelsLastChecked checks what the kernel reads and writes, then calls it.
func unpoolChannelsLastChecked(dy, arg, dx []float32, win []int32, k, w, hw int) int {
	if len(win) == 0 {
		return 0
	}
	_, _ = dy[len(win)*k-1], arg[len(win)*k-1]
	last := 0
	for _, p := range win {
		last = max(last, int(p))
	}
	_ = dx[(last+w+2)*k-1]
	return unpoolChannelsLastAVX512(unsafe.SliceData(dy), unsafe.SliceData(arg), unsafe.SliceData(dx),
		unsafe.SliceData(win), len(win), k/16, w, hw)
}
