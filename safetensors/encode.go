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
	sorted, head, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("safetensors: write header: %w", err)
	}
	for _, t := range sorted {
		if _, err := w.Write(t.Data); err != nil {
			return fmt.Errorf("safetensors: write tensor %q: %w", t.Name, err)
		}
	}
	return nil
}

// encodeHeader checks the tensors and returns them sorted by name, with the file's
// first bytes: the 8-byte header length and the padded JSON header.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]Tensor, []byte, error) {
	sorted := slices.Clone(tensors)
	slices.SortFunc(sorted, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })

	header := make(map[string]any, len(sorted)+1)
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, fmt.Errorf("%w: metadata entry %q is not valid UTF-8", ErrTensor, k)
		}
	}
	if len(metadata) > 0 {
		header[metadataKey] = metadata
	}
	var offset uint64
	for i, t := range sorted {
		if t.Name == "" || t.Name == metadataKey || !utf8.ValidString(t.Name) {
			return nil, nil, fmt.Errorf("%w: tensor %d: name %q is not allowed", ErrTensor, i, t.Name)
		}
		if i > 0 && sorted[i-1].Name == t.Name {
			return nil, nil, fmt.Errorf("%w: duplicate tensor name %q", ErrTensor, t.Name)
		}
		if err := t.Check(); err != nil {
			return nil, nil, err
		}
		end := offset + uint64(len(t.Data))
		header[t.Name] = headerEntry{DataOffsets: [2]uint64{offset, end}, DType: t.DType, Shape: cloneShape(t.Shape)}
		offset = end
	}

	var hb bytes.Buffer
	hb.Write(make([]byte, 8)) // the length, filled in below
	enc := json.NewEncoder(&hb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(header); err != nil {
		return nil, nil, fmt.Errorf("safetensors: encode header: %w", err)
	}
	hb.Truncate(hb.Len() - 1) // Encoder appends a newline
	for (hb.Len()-8)%headerAlign != 0 {
		hb.WriteByte(' ')
	}
	head := hb.Bytes()
	if len(head)-8 > maxHeaderSize {
		return nil, nil, fmt.Errorf("%w: header is %d bytes, more than the %d limit", ErrTensor, len(head)-8, maxHeaderSize)
	}
	binary.LittleEndian.PutUint64(head[:8], uint64(len(head)-8))
	return sorted, head, nil
}

// Marshal is Encode into a byte slice of exactly the encoded size (checkpoints of
// large models would otherwise copy their tensors several times while a buffer grows).
func Marshal(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	e, err := NewEncoding(tensors, metadata)
	if err != nil {
		return nil, err
	}
	out := make([]byte, e.Size())
	if _, err := e.ReadAt(out, 0); err != nil {
		return nil, fmt.Errorf("safetensors: marshal: %w", err)
	}
	return out, nil
}
