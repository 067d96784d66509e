package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxHeaderSize bounds the JSON header (100 MB, as the reference implementation),
// so a corrupt length cannot make a reader allocate or scan gigabytes.
const maxHeaderSize = 100_000_000

// File is a decoded safetensors file.
type File struct {
	// Tensors sorted by name. Their Data alias the slice given to Decode.
	Tensors []Tensor
	// Metadata is the header's "__metadata__" map, nil when absent.
	Metadata map[string]string
}

// Get returns the named tensor.
func (f *File) Get(name string) (Tensor, bool) {
	i, ok := slices.BinarySearchFunc(f.Tensors, name, func(t Tensor, n string) int { return strings.Compare(t.Name, n) })
	if !ok {
		return Tensor{}, false
	}
	return f.Tensors[i], true
}

// Decode parses a safetensors file held in memory. It is strict: the header must
// be valid UTF-8 JSON with no duplicate or unknown keys, every dtype known, every
// shape non-negative, every tensor's byte range exactly shape product × dtype
// size, and the ranges together must cover the data buffer with no gap or
// overlap. Tensor data are not copied: they alias data.
func Decode(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: %d bytes, need at least the 8-byte header length", ErrTruncated, len(data))
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n > maxHeaderSize {
		return nil, fmt.Errorf("%w: header length %d exceeds the %d limit", ErrHeader, n, maxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, fmt.Errorf("%w: header length %d but only %d bytes follow", ErrTruncated, n, len(data)-8)
	}
	header := data[8 : 8+n]
	buffer := data[8+n:]
	if !utf8.Valid(header) {
		return nil, fmt.Errorf("%w: header is not valid UTF-8", ErrHeader)
	}
	if len(header) == 0 || header[0] != '{' {
		return nil, fmt.Errorf("%w: header does not start with '{'", ErrHeader)
	}

	f := &File{}
	var spans []span
	err := decodeObject(header, func(key string, raw json.RawMessage) error {
		if key == metadataKey {
			return decodeMetadata(raw, f)
		}
		t, s, err := decodeEntry(key, raw, buffer)
		if err != nil {
			return err
		}
		f.Tensors = append(f.Tensors, t)
		spans = append(spans, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := checkLayout(spans, len(buffer)); err != nil {
		return nil, err
	}
	slices.SortFunc(f.Tensors, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
	return f, nil
}

// decodeObject walks one JSON object, calling fn for each member in order and
// refusing duplicate keys (encoding/json would silently keep the last).
func decodeObject(raw []byte, fn func(key string, val json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrHeader, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%w: expected a JSON object", ErrHeader)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrHeader, err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("%w: expected an object key", ErrHeader)
		}
		if seen[key] {
			return fmt.Errorf("%w: duplicate key %q", ErrHeader, key)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return fmt.Errorf("%w: value of %q: %v", ErrHeader, key, err)
		}
		if err := fn(key, val); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return fmt.Errorf("%w: %v", ErrHeader, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrHeader)
	}
	return nil
}

func decodeMetadata(raw json.RawMessage, f *File) error {
	f.Metadata = map[string]string{}
	return decodeObject(raw, func(key string, val json.RawMessage) error {
		var s string
		if err := json.Unmarshal(val, &s); err != nil {
			return fmt.Errorf("%w: %s[%q] is not a string", ErrHeader, metadataKey, key)
		}
		f.Metadata[key] = s
		return nil
	})
}

// decodeEntry parses one tensor record and slices its bytes out of buffer.
func decodeEntry(name string, raw json.RawMessage, buffer []byte) (Tensor, span, error) {
	var (
		dtype   *string
		shape   *[]int64
		offsets *[]uint64
	)
	err := decodeObject(raw, func(key string, val json.RawMessage) error {
		var err error
		switch key {
		case "dtype":
			err = json.Unmarshal(val, &dtype)
		case "shape":
			err = json.Unmarshal(val, &shape)
		case "data_offsets":
			err = json.Unmarshal(val, &offsets)
		default:
			return fmt.Errorf("%w: tensor %q: unknown field %q", ErrHeader, name, key)
		}
		if err != nil {
			return fmt.Errorf("%w: tensor %q: field %q: %v", ErrHeader, name, key, err)
		}
		return nil
	})
	if err != nil {
		return Tensor{}, span{}, err
	}
	if dtype == nil || shape == nil || offsets == nil {
		return Tensor{}, span{}, fmt.Errorf("%w: tensor %q: needs dtype, shape and data_offsets", ErrHeader, name)
	}
	d := DType(*dtype)
	if err := checkDType(d); err != nil {
		return Tensor{}, span{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	dims := make([]int, len(*shape))
	for i, v := range *shape {
		if v < 0 || v > math.MaxInt {
			return Tensor{}, span{}, fmt.Errorf("%w: tensor %q: shape dimension %d is %d", ErrHeader, name, i, v)
		}
		dims[i] = int(v)
	}
	want, err := byteLength(dims, d)
	if err != nil {
		return Tensor{}, span{}, fmt.Errorf("%w: tensor %q: %v", ErrHeader, name, err)
	}
	if len(*offsets) != 2 {
		return Tensor{}, span{}, fmt.Errorf("%w: tensor %q: data_offsets has %d values, want 2", ErrHeader, name, len(*offsets))
	}
	begin, end := (*offsets)[0], (*offsets)[1]
	if begin > end || end > uint64(len(buffer)) {
		return Tensor{}, span{}, fmt.Errorf("%w: tensor %q: data_offsets [%d, %d] outside the %d-byte data buffer",
			ErrLayout, name, begin, end, len(buffer))
	}
	if end-begin != want {
		return Tensor{}, span{}, fmt.Errorf("%w: tensor %q: data_offsets span %d bytes, shape %v of %s needs %d",
			ErrLayout, name, end-begin, dims, d, want)
	}
	return Tensor{Name: name, DType: d, Shape: dims, Data: buffer[begin:end:end]}, span{name, begin, end}, nil
}

// span is where one tensor's bytes sit in the data buffer.
type span struct {
	name       string
	begin, end uint64
}

// checkLayout requires the byte ranges to tile the data buffer exactly: sorted by
// offset, each range starts where the previous one ended (as the reference
// implementation checks, so even empty tensors must sit at the cursor).
func checkLayout(spans []span, size int) error {
	slices.SortFunc(spans, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), strings.Compare(a.name, b.name))
	})
	var cursor uint64
	for _, s := range spans {
		switch {
		case s.begin < cursor:
			return fmt.Errorf("%w: tensor %q at byte %d overlaps the previous tensor ending at %d", ErrLayout, s.name, s.begin, cursor)
		case s.begin > cursor:
			return fmt.Errorf("%w: gap of %d bytes before tensor %q at byte %d", ErrLayout, s.begin-cursor, s.name, s.begin)
		}
		cursor = s.end
	}
	if cursor != uint64(size) {
		return fmt.Errorf("%w: tensors cover %d of the %d data bytes", ErrLayout, cursor, size)
	}
	return nil
}
