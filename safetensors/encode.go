package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// metadataKey is the reserved header key for free-form string metadata.
const metadataKey = "__metadata__"

// headerAlign is the multiple the header is padded to with spaces, as the
// reference implementation does, so the data buffer starts aligned.
const headerAlign = 8

// headerEntry is one tensor's header record. Field order is alphabetical so the
// encoded JSON has sorted keys.
type headerEntry struct {
	DataOffsets [2]uint64 `json:"data_offsets"`
	DType       DType     `json:"dtype"`
	Shape       []int     `json:"shape"`
}

// Encode writes tensors and metadata in safetensors format. The output is
// deterministic: tensors are laid out sorted by name, header keys are sorted,
// and the header is padded with spaces to a multiple of 8 bytes. Every tensor is
// checked first (unique non-empty name, known dtype, data length matching the
// shape), so nothing is written for invalid input.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	sorted := slices.Clone(tensors)
	slices.SortFunc(sorted, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })

	header := make(map[string]any, len(sorted)+1)
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: metadata entry %q is not valid UTF-8", ErrTensor, k)
		}
	}
	if len(metadata) > 0 {
		header[metadataKey] = metadata
	}
	var offset uint64
	for i, t := range sorted {
		if t.Name == "" || t.Name == metadataKey || !utf8.ValidString(t.Name) {
			return fmt.Errorf("%w: tensor %d: name %q is not allowed", ErrTensor, i, t.Name)
		}
		if i > 0 && sorted[i-1].Name == t.Name {
			return fmt.Errorf("%w: duplicate tensor name %q", ErrTensor, t.Name)
		}
		if err := t.Check(); err != nil {
			return err
		}
		end := offset + uint64(len(t.Data))
		header[t.Name] = headerEntry{DataOffsets: [2]uint64{offset, end}, DType: t.DType, Shape: cloneShape(t.Shape)}
		offset = end
	}

	var hb bytes.Buffer
	enc := json.NewEncoder(&hb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(header); err != nil {
		return fmt.Errorf("safetensors: encode header: %w", err)
	}
	hb.Truncate(hb.Len() - 1) // Encoder appends a newline
	for hb.Len()%headerAlign != 0 {
		hb.WriteByte(' ')
	}
	if hb.Len() > maxHeaderSize {
		return fmt.Errorf("%w: header is %d bytes, more than the %d limit", ErrTensor, hb.Len(), maxHeaderSize)
	}

	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(hb.Len()))
	if _, err := w.Write(prefix[:]); err != nil {
		return fmt.Errorf("safetensors: write header length: %w", err)
	}
	if _, err := w.Write(hb.Bytes()); err != nil {
		return fmt.Errorf("safetensors: write header: %w", err)
	}
	for _, t := range sorted {
		if _, err := w.Write(t.Data); err != nil {
			return fmt.Errorf("safetensors: write tensor %q: %w", t.Name, err)
		}
	}
	return nil
}

// Marshal is Encode into a byte slice, sized once up front (checkpoints of large models
// would otherwise copy their tensors several times while the buffer grows).
func Marshal(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	size := 8 + 256 + 128*len(tensors)
	for _, t := range tensors {
		size += len(t.Data)
	}
	for k, v := range metadata {
		size += len(k) + len(v) + 8
	}
	var b bytes.Buffer
	b.Grow(size)
	if err := Encode(&b, tensors, metadata); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
