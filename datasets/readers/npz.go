package readers

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
)

// MedMNIST is an NPZ archive in the MedMNIST layout with its predefined
// split kept.
type MedMNIST struct {
	Train, Validation, Test *Images
}

// Parts returns the three parts in split order with their key prefixes.
func (m *MedMNIST) Parts() [3]*Images { return [3]*Images{m.Train, m.Validation, m.Test} }

// npzPrefixes are the MedMNIST key prefixes of the train, validation and test parts.
var npzPrefixes = [3]string{"train", "val", "test"}

const (
	// npyMaxHeader bounds an NPY header; numpy writes well under 1 KiB.
	npyMaxHeader = 64 << 10
	// deflateMaxRatio bounds how many bytes deflate can expand one
	// compressed byte into (the format's limit is about 1032).
	deflateMaxRatio = 1040
)

// npyHeaderPattern is the dictionary numpy writes, in its order. Anything
// else is refused before npyio sees it: npyio's own header parser assumes
// this order.
var npyHeaderPattern = regexp.MustCompile(`^\{'descr': '([|<>=][a-z][0-9]{1,2})', 'fortran_order': (False|True), 'shape': \(((?:[0-9]{1,10}, )*(?:[0-9]{1,10},?)?)\), \} *\n$`)

// npyArray is one validated NPY member: descr, shape, and its header and
// data bytes, which npyio decodes.
type npyArray struct {
	name  string
	descr string
	shape []int
	hdr   []byte
	data  []byte
}

// reader returns the whole member (header and data) for npyio.
func (a *npyArray) reader() io.Reader {
	return io.MultiReader(bytes.NewReader(a.hdr), bytes.NewReader(a.data))
}

// ReadMedMNIST decodes an NPZ archive of size bytes holding train_images,
// train_labels, val_images, val_labels, test_images and test_labels.
// Images are uint8 [n, h, w] or [n, h, w, c] (c ≤ 4, moved to NCHW) scaled
// by 1/255; labels are integers [n] or [n, 1]. maxBytes bounds each array
// (0: DefaultMaxBytes).
func ReadMedMNIST(r io.ReaderAt, size int64, maxBytes int64) (*MedMNIST, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("npz: %w: %w", ErrFormat, err)
	}
	members := map[string]*zip.File{}
	for _, f := range zr.File {
		members[f.Name] = f
	}
	var out [3]*Images
	for i, prefix := range npzPrefixes {
		images, err := readMember(members, prefix+"_images", maxBytes)
		if err != nil {
			return nil, err
		}
		labels, err := readMember(members, prefix+"_labels", maxBytes)
		if err != nil {
			return nil, err
		}
		if out[i], err = medmnistPart(images, labels); err != nil {
			return nil, fmt.Errorf("npz: %s: %w", prefix, err)
		}
	}
	if out[0].C != out[1].C || out[0].H != out[1].H || out[0].W != out[1].W ||
		out[0].C != out[2].C || out[0].H != out[2].H || out[0].W != out[2].W {
		return nil, fmt.Errorf("npz: %w: the parts have different image shapes", ErrFormat)
	}
	return &MedMNIST{Train: out[0], Validation: out[1], Test: out[2]}, nil
}

// LoadMedMNIST opens and decodes an NPZ file; see ReadMedMNIST.
func LoadMedMNIST(path string, maxBytes int64) (*MedMNIST, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npz: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("npz: %w", err)
	}
	m, err := ReadMedMNIST(f, info.Size(), maxBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// readMember reads and validates one NPY member ("<name>.npy").
func readMember(members map[string]*zip.File, name string, maxBytes int64) (*npyArray, error) {
	f, ok := members[name+".npy"]
	if !ok {
		return nil, fmt.Errorf("npz: %w: no array %s", ErrMismatch, name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("npz: %s: %w: %w", name, ErrFormat, err)
	}
	defer rc.Close()
	hdr, a, err := readNPYHeader(rc)
	if err != nil {
		return nil, fmt.Errorf("npz: %s: %w", name, err)
	}
	a.name = name
	elem, _ := strconv.Atoi(a.descr[2:])
	need, err := checkedProduct(a.shape, elem, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("npz: %s: %w", name, err)
	}
	// What the member could hold: its declared size, and for deflate no more
	// than the format can expand its compressed bytes into.
	total := uint64(len(hdr)) + uint64(need)
	if total > f.UncompressedSize64 {
		return nil, fmt.Errorf("npz: %s: %w: shape %v needs %d bytes, the member holds %d", name, ErrTruncated, a.shape, total, f.UncompressedSize64)
	}
	if f.Method == zip.Deflate && total > deflateMaxRatio*f.CompressedSize64+npyMaxHeader {
		return nil, fmt.Errorf("npz: %s: %w: shape %v needs %d bytes, more than %d compressed bytes can hold", name, ErrTruncated, a.shape, total, f.CompressedSize64)
	}
	data, err := io.ReadAll(io.LimitReader(rc, need+1))
	if err != nil {
		return nil, fmt.Errorf("npz: %s: %w: %w", name, ErrFormat, err)
	}
	switch {
	case int64(len(data)) < need:
		return nil, fmt.Errorf("npz: %s: %w: %d data bytes, shape %v needs %d", name, ErrTruncated, len(data), a.shape, need)
	case int64(len(data)) > need:
		return nil, fmt.Errorf("npz: %s: %w: shape %v needs %d bytes", name, ErrTrailing, a.shape, need)
	}
	a.hdr, a.data = hdr, data
	return a, nil
}

// readNPYHeader reads the NPY preamble and header dictionary, checking the
// magic, version, length and the dictionary's exact form.
func readNPYHeader(r io.Reader) ([]byte, *npyArray, error) {
	pre := make([]byte, 8, 12)
	if _, err := io.ReadFull(r, pre); err != nil {
		return nil, nil, fmt.Errorf("%w: npy preamble", ErrTruncated)
	}
	if !bytes.Equal(pre[:6], npy.Magic[:]) {
		return nil, nil, fmt.Errorf("%w: not an npy array (bad magic)", ErrFormat)
	}
	var hlen int
	switch pre[6] {
	case 1:
		pre = pre[:10]
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, nil, fmt.Errorf("%w: npy header length", ErrTruncated)
		}
		hlen = int(binary.LittleEndian.Uint16(pre[8:10]))
	case 2:
		pre = pre[:12]
		if _, err := io.ReadFull(r, pre[8:12]); err != nil {
			return nil, nil, fmt.Errorf("%w: npy header length", ErrTruncated)
		}
		l := binary.LittleEndian.Uint32(pre[8:12])
		if l > npyMaxHeader {
			return nil, nil, fmt.Errorf("%w: npy header of %d bytes exceeds %d", ErrTooLarge, l, npyMaxHeader)
		}
		hlen = int(l)
	default:
		return nil, nil, fmt.Errorf("%w: npy version %d.%d", ErrFormat, pre[6], pre[7])
	}
	hdr := make([]byte, len(pre)+hlen)
	copy(hdr, pre)
	if _, err := io.ReadFull(r, hdr[len(pre):]); err != nil {
		return nil, nil, fmt.Errorf("%w: npy header", ErrTruncated)
	}
	m := npyHeaderPattern.FindSubmatch(hdr[len(pre):])
	if m == nil {
		return nil, nil, fmt.Errorf("%w: npy header is not numpy's {'descr', 'fortran_order', 'shape'} dictionary", ErrFormat)
	}
	if string(m[2]) != "False" {
		return nil, nil, fmt.Errorf("%w: Fortran-ordered arrays are not supported", ErrFormat)
	}
	a := &npyArray{descr: string(m[1])}
	if _, ok := npyElem[a.descr]; !ok {
		return nil, nil, fmt.Errorf("%w: element type %s is not supported", ErrFormat, a.descr)
	}
	for tok := range strings.SplitSeq(string(m[3]), ",") {
		if tok = strings.TrimSpace(tok); tok == "" {
			continue
		}
		d, err := strconv.Atoi(tok)
		if err != nil || d >= maxDim {
			return nil, nil, fmt.Errorf("%w: npy shape dimension out of range", ErrFormat)
		}
		a.shape = append(a.shape, d)
	}
	return hdr, a, nil
}

// npyElem lists the element types read, little-endian or byte-sized.
var npyElem = map[string]bool{
	"|u1": true, "|i1": true, "<u2": true, "<i2": true,
	"<u4": true, "<i4": true, "<u8": true, "<i8": true,
}
