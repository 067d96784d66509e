package safetensors

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// bigTensors are large enough that WriteTo has to split a tensor into pieces.
func bigTensors() []Tensor {
	v := make([]float32, 3*writeChunk/4+13)
	for i := range v {
		v[i] = float32(i) * 0.25
	}
	return append(sampleTensors(), F32View("big", []int{len(v)}, v))
}

// TestEncodingMatchesMarshal: reading an Encoding in every way gives Encode's bytes.
func TestEncodingMatchesMarshal(t *testing.T) {
	tests := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
	}{
		{"sample", sampleTensors(), map[string]string{"part": "params"}},
		{"no tensors", nil, nil},
		{"large", bigTensors(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want bytes.Buffer
			if err := Encode(&want, tt.tensors, tt.meta); err != nil {
				t.Fatal(err)
			}
			e, err := NewEncoding(tt.tensors, tt.meta)
			if err != nil {
				t.Fatal(err)
			}
			if e.Size() != int64(want.Len()) {
				t.Fatalf("Size %d, Encode wrote %d bytes", e.Size(), want.Len())
			}
			got, err := io.ReadAll(e)
			if err != nil || !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("Read gave %d bytes (error %v) that differ from Encode's", len(got), err)
			}
			if _, err := e.Seek(0, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			var w bytes.Buffer
			if n, err := e.WriteTo(&w); err != nil || n != e.Size() || !bytes.Equal(w.Bytes(), want.Bytes()) {
				t.Fatalf("WriteTo wrote %d bytes (error %v) that differ from Encode's", n, err)
			}
			m, err := Marshal(tt.tensors, tt.meta)
			if err != nil || !bytes.Equal(m, want.Bytes()) {
				t.Fatalf("Marshal differs from Encode (error %v)", err)
			}
		})
	}
}

// TestEncodingReadAt: any range, including ones crossing tensor boundaries and the
// end, reads the same bytes as the marshalled file.
func TestEncodingReadAt(t *testing.T) {
	tensors := bigTensors()
	want, err := Marshal(tensors, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEncoding(tensors, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		off := rng.Int64N(int64(len(want)) + 10)
		p := make([]byte, rng.IntN(4096))
		n, err := e.ReadAt(p, off)
		end := min(off+int64(len(p)), int64(len(want)))
		wantN := max(0, int(end-off))
		if n != wantN || !bytes.Equal(p[:n], want[min(off, int64(len(want))):end]) {
			t.Fatalf("ReadAt(%d bytes, off %d) = %d bytes, want %d matching", len(p), off, n, wantN)
		}
		if short := wantN < len(p); short != errors.Is(err, io.EOF) {
			t.Fatalf("ReadAt(%d bytes, off %d): error %v, short read %v", len(p), off, err, short)
		}
	}
	if _, err := e.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("ReadAt at a negative offset succeeded")
	}
}

func TestEncodingSeek(t *testing.T) {
	e, err := NewEncoding(sampleTensors(), nil)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := Marshal(sampleTensors(), nil)
	tests := []struct {
		name    string
		offset  int64
		whence  int
		wantPos int64
		wantErr bool
	}{
		{"start", 5, io.SeekStart, 5, false},
		{"current", 3, io.SeekCurrent, 8, false},
		{"end", -4, io.SeekEnd, int64(len(all)) - 4, false},
		{"past end", 10, io.SeekEnd, int64(len(all)) + 10, false},
		{"negative", -1, io.SeekStart, 0, true},
		{"bad whence", 0, 7, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pos, err := e.Seek(tt.offset, tt.whence)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Seek error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if pos != tt.wantPos {
				t.Fatalf("Seek = %d, want %d", pos, tt.wantPos)
			}
			rest, err := io.ReadAll(e)
			if err != nil || !bytes.Equal(rest, all[min(pos, int64(len(all))):]) {
				t.Fatalf("read after Seek gave %d bytes (error %v), want the file from %d", len(rest), err, pos)
			}
			if _, err := e.Seek(tt.wantPos, io.SeekStart); err != nil { // the next case continues from here
				t.Fatal(err)
			}
		})
	}
}

// chunkWriter hashes what it is given and records the largest single Write.
type chunkWriter struct {
	h       io.Writer
	largest int
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	c.largest = max(c.largest, len(p))
	return c.h.Write(p)
}

// TestEncodingWriteToChunks: WriteTo never hands a writer more than 1 MiB at once,
// and the bytes hash like the marshalled file.
func TestEncodingWriteToChunks(t *testing.T) {
	v := make([]float32, 3*writeChunk) // a 12 MiB tensor
	for i := range v {
		v[i] = float32(i % 1000)
	}
	tensors := []Tensor{F32View("w", []int{len(v)}, v)}
	all, err := Marshal(tensors, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEncoding(tensors, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	cw := &chunkWriter{h: h}
	if _, err := e.WriteTo(cw); err != nil {
		t.Fatal(err)
	}
	if cw.largest > writeChunk {
		t.Errorf("largest Write was %d bytes, want at most %d", cw.largest, writeChunk)
	}
	if want := sha256.Sum256(all); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Error("WriteTo's bytes hash differently from Marshal's")
	}
}

// failWriter accepts limit bytes, then fails.
type failWriter struct{ limit int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n := f.limit
		f.limit = 0
		return n, errors.New("disk full")
	}
	f.limit -= len(p)
	return len(p), nil
}

func TestEncodingWriteToError(t *testing.T) {
	e, err := NewEncoding(sampleTensors(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.WriteTo(&failWriter{limit: 20})
	if err == nil || !strings.Contains(err.Error(), "disk full") || n != 20 {
		t.Fatalf("WriteTo = %d, %v; want 20 bytes and the writer's error", n, err)
	}
}

// TestEncodingConcurrentReadAt: parallel part uploads read one Encoding at once.
func TestEncodingConcurrentReadAt(t *testing.T) {
	tensors := bigTensors()
	all, _ := Marshal(tensors, nil)
	e, err := NewEncoding(tensors, nil)
	if err != nil {
		t.Fatal(err)
	}
	const parts = 4
	size := (len(all) + parts - 1) / parts
	var wg sync.WaitGroup
	errs := make([]error, parts)
	for i := range parts {
		wg.Go(func() {
			lo, hi := i*size, min((i+1)*size, len(all))
			p := make([]byte, hi-lo)
			if _, err := e.ReadAt(p, int64(lo)); err != nil && !errors.Is(err, io.EOF) {
				errs[i] = err
			} else if !bytes.Equal(p, all[lo:hi]) {
				errs[i] = errors.New("bytes differ")
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("part %d: %v", i, err)
		}
	}
}

func TestEncodingRejectsWhatEncodeRejects(t *testing.T) {
	_, err := NewEncoding([]Tensor{U8("a", []int{1}, []byte{1}), U8("a", []int{1}, []byte{2})}, nil)
	if !errors.Is(err, ErrTensor) {
		t.Fatalf("NewEncoding with a duplicate name: error %v, want ErrTensor", err)
	}
}

// TestF32ViewAndPortablePath: the view, the copy and the big-endian-safe fallback all
// give the same little-endian bytes, and decode back bit for bit.
func TestF32ViewAndPortablePath(t *testing.T) {
	v := []float32{0, -0.0, 1, -2.5, float32(math.Inf(-1)), float32(math.NaN()), math.SmallestNonzeroFloat32, math.MaxFloat32}
	want := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b := math.Float32bits(x)
		want = append(want, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
	}
	for _, native := range []bool{true, false} {
		if native && !nativeLittleEndian {
			continue // the view is only taken on little-endian machines
		}
		if got := f32Bytes(v, native); !bytes.Equal(got, want) {
			t.Errorf("f32Bytes(native=%v) = %v, want %v", native, got, want)
		}
		back := float32sFrom(want, native)
		for i := range v {
			if math.Float32bits(back[i]) != math.Float32bits(v[i]) {
				t.Errorf("float32sFrom(native=%v)[%d] = %v, want %v", native, i, back[i], v[i])
			}
		}
	}
	if got := F32View("x", []int{len(v)}, v).Data; !bytes.Equal(got, want) {
		t.Errorf("F32View bytes = %v, want %v", got, want)
	}
	if got := F32("x", []int{len(v)}, v).Data; !bytes.Equal(got, want) {
		t.Errorf("F32 bytes = %v, want %v", got, want)
	}
	if len(F32View("e", []int{0}, nil).Data) != 0 {
		t.Error("F32View of no values has data")
	}
}

// TestF32ViewAliases: on a little-endian machine the view shares v's memory (that is
// its point), and F32 does not.
func TestF32ViewAliases(t *testing.T) {
	if !nativeLittleEndian {
		t.Skip("F32View copies on big-endian machines")
	}
	v := []float32{1, 2}
	view, cp := F32View("v", []int{2}, v), F32("v", []int{2}, v)
	v[0] = 3
	if math.Float32frombits(uint32(view.Data[0])|uint32(view.Data[1])<<8|uint32(view.Data[2])<<16|uint32(view.Data[3])<<24) != 3 {
		t.Error("F32View does not alias v")
	}
	if cp.Data[3] != 0x3f { // 1.0 is 0x3f800000
		t.Error("F32 aliases v")
	}
}
