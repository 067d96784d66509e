package collective

import (
	"bytes"
	"io"
	"testing"
)

// FuzzSealedReader feeds arbitrary bytes to a receiver as a sealed stream. It
// must never panic, never hand back a byte that the sender did not seal (only a
// prefix of the genuine stream's plaintext, whatever the input), and always end
// in an error, io.EOF only where the input ends between frames; small and
// large reads must agree.
func FuzzSealedReader(f *testing.F) {
	msgs := [][]byte{[]byte("a"), []byte("seventeen bytes!!"), bytes.Repeat([]byte{'x'}, 300)}
	want := bytes.Join(msgs, nil)
	valid := sealStream(f, msgs...)
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(valid[:sealOverhead+1])
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3})
	f.Add(append([]byte{0, 0, 0, 1, 'a'}, make([]byte, sealTagLen)...))
	f.Add(append(bytes.Clone(valid[sealOverhead+1:]), valid[:sealOverhead+1]...))
	f.Fuzz(func(t *testing.T, stream []byte) {
		var outs [2][]byte
		for i, size := range []int{3, 4096} {
			r := streamReader(bytes.NewReader(stream))
			var err error
			for calls := 0; err == nil; calls++ {
				if calls > len(stream)+len(want)+2 {
					t.Fatalf("reads of %d bytes: %d calls without data or an error", size, calls)
				}
				p := make([]byte, size)
				var n int
				n, err = r.read(p)
				outs[i] = append(outs[i], p[:n]...)
			}
			if !bytes.HasPrefix(want, outs[i]) {
				t.Fatalf("reads of %d bytes returned %q, not sealed by the sender", size, outs[i])
			}
			if err == io.EOF && !bytes.HasPrefix(valid, stream) {
				t.Fatalf("reads of %d bytes: a stream that is not the sender's ended in io.EOF", size)
			}
		}
		if !bytes.Equal(outs[0], outs[1]) {
			t.Fatalf("small reads gave %d bytes, large reads %d", len(outs[0]), len(outs[1]))
		}
	})
}
