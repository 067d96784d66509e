package dicom

import (
	"encoding/binary"
	"fmt"
)

// syntax is how a transfer syntax encodes the data set and pixels.
type syntax struct {
	order        binary.ByteOrder
	implicit     bool
	encapsulated bool // pixel data in fragments (JPEG baseline here)
}

// supported lists the transfer syntaxes we read. Deflated is left out on
// purpose: a small file could inflate past every size check.
var supported = map[string]syntax{
	"1.2.840.10008.1.2":      {binary.LittleEndian, true, false},  // Implicit VR Little Endian
	"1.2.840.10008.1.2.1":    {binary.LittleEndian, false, false}, // Explicit VR Little Endian
	"1.2.840.10008.1.2.2":    {binary.BigEndian, false, false},    // Explicit VR Big Endian (retired)
	"1.2.840.10008.1.2.4.50": {binary.LittleEndian, false, true},  // JPEG Baseline (Process 1)
}

// syntaxNames names the transfer syntaxes a refusal may meet, so the error
// tells the operator what to convert from.
var syntaxNames = map[string]string{
	"1.2.840.10008.1.2":       "Implicit VR Little Endian",
	"1.2.840.10008.1.2.1":     "Explicit VR Little Endian",
	"1.2.840.10008.1.2.1.99":  "Deflated Explicit VR Little Endian",
	"1.2.840.10008.1.2.2":     "Explicit VR Big Endian",
	"1.2.840.10008.1.2.4.50":  "JPEG Baseline (Process 1)",
	"1.2.840.10008.1.2.4.51":  "JPEG Extended (Process 2 & 4)",
	"1.2.840.10008.1.2.4.57":  "JPEG Lossless, Non-Hierarchical (Process 14)",
	"1.2.840.10008.1.2.4.70":  "JPEG Lossless, Non-Hierarchical, First-Order Prediction",
	"1.2.840.10008.1.2.4.80":  "JPEG-LS Lossless",
	"1.2.840.10008.1.2.4.81":  "JPEG-LS Near-Lossless",
	"1.2.840.10008.1.2.4.90":  "JPEG 2000 Image Compression (Lossless Only)",
	"1.2.840.10008.1.2.4.91":  "JPEG 2000 Image Compression",
	"1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 (Lossless Only)",
	"1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000",
	"1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
	"1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile / Level 4.1",
	"1.2.840.10008.1.2.5":     "RLE Lossless",
	"1.2.840.10008.1.2.4.110": "JPEG XL Lossless",
}

// lookupSyntax returns the syntax of uid or an ErrUnsupported error naming
// it.
func lookupSyntax(uid string) (syntax, error) {
	if s, ok := supported[uid]; ok {
		return s, nil
	}
	name := syntaxNames[uid]
	if name == "" {
		name = "unknown transfer syntax"
	}
	if !isUID(uid) {
		uid = "not a UID"
	}
	return syntax{}, fmt.Errorf("%w: transfer syntax %s (%s)", ErrUnsupported, name, uid)
}

// isUID reports whether s looks like a UID (digits and dots, at most 64),
// so that only such a string is echoed in an error.
func isUID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
