package release

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/models/onnx"
)

func TestSealVerifyRoundTrip(t *testing.T) {
	f, pub, _ := sealed(t)
	v, err := VerifyBytes(f, pub)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if v.Statement.ModelName != "wdbc-malignancy" || v.Card.Version != "1" || v.Fingerprint != Fingerprint(pub) {
		t.Fatalf("verified %+v", v.Statement)
	}
	if v.Statement.ONNXSHA256 != digest(f.ONNX) || v.Statement.CardSHA256 != digest(f.Card) {
		t.Fatal("statement hashes do not cover the files")
	}
	if v.Metadata["dxtrain.checkpoint"] != checkpointHash {
		t.Fatalf("metadata %v", v.Metadata)
	}
	dir := filepath.Join(t.TempDir(), "wdbc-malignancy@1")
	if err := WriteRelease(dir, f); err != nil {
		t.Fatalf("write: %v", err)
	}
	vd, err := VerifyDir(dir, pub)
	if err != nil {
		t.Fatalf("verify dir: %v", err)
	}
	if !bytes.Equal(vd.Files.ONNX, f.ONNX) || !bytes.Equal(vd.Files.Statement, f.Statement) {
		t.Fatal("files read back differ from the files written")
	}
}

// flip changes one byte in the middle of data.
func flip(data []byte) []byte {
	out := bytes.Clone(data)
	out[len(out)/2] ^= 0x01
	return out
}

// TestTamperingRefused: every kind of alteration is refused with its own sentinel and
// a message naming the file, read from a directory as a trust would.
func TestTamperingRefused(t *testing.T) {
	f, pub, _ := sealed(t)
	_, otherPriv := newKey(t)
	otherSigned, err := Seal(f.ONNX, testCard(), testStatement(), otherPriv)
	if err != nil {
		t.Fatal(err)
	}
	// A statement re-signed by another key but still naming the trusted key.
	forged := otherSigned
	forgedSt, _ := ParseStatement(otherSigned.Statement)
	forgedSt.ApproverKey = Fingerprint(pub)
	forged.Statement, _ = forgedSt.Encode()
	forged.Signature = EncodeSignature(Sign(forged.Statement, otherPriv))

	cases := []struct {
		name   string
		alter  func(dir string)
		want   error
		inText string
	}{
		{"onnx byte", func(d string) { rewrite(t, d, ONNXFile, flip(f.ONNX)) }, ErrONNXTampered, ONNXFile},
		{"onnx appended", func(d string) { rewrite(t, d, ONNXFile, append(bytes.Clone(f.ONNX), 0)) }, ErrONNXTampered, ONNXFile},
		{"card byte", func(d string) {
			rewrite(t, d, CardFile, bytes.Replace(f.Card, []byte("Not for screening"), []byte("Use for screening"), 1))
		}, ErrCardTampered, CardFile},
		{"statement byte", func(d string) {
			rewrite(t, d, StatementFile, bytes.Replace(f.Statement, []byte(`0.991`), []byte(`0.999`), 1))
		}, ErrSignature, StatementFile},
		{"statement flipped", func(d string) { rewrite(t, d, StatementFile, flip(f.Statement)) }, ErrSignature, StatementFile},
		{"signature byte", func(d string) {
			sig, _ := DecodeSignature(f.Signature)
			rewrite(t, d, SignatureFile, EncodeSignature(flip(sig)))
		}, ErrSignature, StatementFile},
		{"signature garbage", func(d string) { rewrite(t, d, SignatureFile, []byte("not base64!\n")) }, ErrSignature, SignatureFile},
		{"signed by another key", func(d string) {
			rewrite(t, d, StatementFile, otherSigned.Statement)
			rewrite(t, d, SignatureFile, otherSigned.Signature)
		}, ErrWrongKey, StatementFile},
		{"another key, forged key name", func(d string) {
			rewrite(t, d, StatementFile, forged.Statement)
			rewrite(t, d, SignatureFile, forged.Signature)
		}, ErrSignature, StatementFile},
	}
	for _, name := range fileNames {
		cases = append(cases, struct {
			name   string
			alter  func(dir string)
			want   error
			inText string
		}{"missing " + name, func(d string) { remove(t, d, name) }, ErrMissingFile, name})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "release")
			if err := WriteRelease(dir, f); err != nil {
				t.Fatal(err)
			}
			if _, err := VerifyDir(dir, pub); err != nil {
				t.Fatalf("untouched release refused: %v", err)
			}
			tc.alter(dir)
			v, err := VerifyDir(dir, pub)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if v != nil {
				t.Fatal("a refused release returned a result")
			}
			t.Logf("refused: %v", err)
			if !strings.Contains(err.Error(), tc.inText) {
				t.Fatalf("error %q does not name %s", err, tc.inText)
			}
			for _, other := range []error{ErrONNXTampered, ErrCardTampered, ErrSignature, ErrWrongKey, ErrMissingFile, ErrMismatch} {
				if other != tc.want && errors.Is(err, other) {
					t.Fatalf("error %v also matches %v", err, other)
				}
			}
		})
	}
}

func rewrite(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// TestDisagreementRefused: files that are each correctly signed and hashed but do not
// describe the same model are refused with ErrMismatch naming the field.
func TestDisagreementRefused(t *testing.T) {
	_, priv := newKey(t)
	cases := []struct {
		name   string
		extra  map[string]string
		card   func(*Card)
		st     func(*Statement)
		inText string
	}{
		{"card version", nil, func(c *Card) { c.Version = "2" }, nil, "card.json version"},
		{"card name", nil, func(c *Card) { c.Name = "other" }, nil, "card.json name"},
		{"card dataset", nil, func(c *Card) { c.Dataset.ManifestSHA256 = hashOf("x") }, nil, "dataset.manifest_sha256"},
		{"onnx checkpoint", nil, nil, func(s *Statement) { s.CheckpointManifestSHA256 = hashOf("x") }, "dxtrain.checkpoint"},
		{"onnx spec", nil, func(c *Card) { c.Training.SpecSHA256 = hashOf("x") }, func(s *Statement) { s.SpecSHA256 = hashOf("x") }, "dxtrain.spec_sha256"},
		{"onnx features", nil, func(c *Card) { c.Features = []string{"a", "b", "c"} }, nil, "dxtrain.features"},
		{"onnx classes order", nil, func(c *Card) { c.Classes = []string{"malignant", "benign"} }, nil, "dxtrain.classes"},
		{"onnx code version", nil, func(c *Card) { c.CodeVersion = "v9" }, func(s *Statement) { s.CodeVersion = "v9" }, "dxtrain.code_version"},
		{"onnx embedded card", map[string]string{CardMetadataKey: "{}"}, nil, nil, CardMetadataKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			card, st := testCard(), testStatement()
			if tc.card != nil {
				tc.card(&card)
			}
			if tc.st != nil {
				tc.st(&st)
			}
			_, err := Seal(exportModel(t, tc.extra), card, st, priv)
			if !errors.Is(err, ErrMismatch) {
				t.Fatalf("seal: got %v, want ErrMismatch", err)
			}
			if !strings.Contains(err.Error(), tc.inText) {
				t.Fatalf("error %q does not name %s", err, tc.inText)
			}
		})
	}
}

func TestEmbeddedCardAccepted(t *testing.T) {
	pub, priv := newKey(t)
	card := testCard()
	cardJSON, err := card.Encode()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Seal(exportModel(t, map[string]string{CardMetadataKey: string(cardJSON)}), card, testStatement(), priv)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	if _, err := VerifyBytes(f, pub); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestCheckRuntime(t *testing.T) {
	if _, err := onnx.LibraryPath(); err != nil {
		t.Fatalf("ONNX Runtime is needed for this test: %v", err)
	}
	f, pub, _ := sealed(t)
	v, err := VerifyBytes(f, pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckRuntime(v); err != nil {
		t.Fatalf("check runtime: %v", err)
	}
	v.Card.Features = v.Card.Features[:2]
	if err := CheckRuntime(v); !errors.Is(err, ErrMismatch) {
		t.Fatalf("card with 2 features for a 3-input model: got %v, want ErrMismatch", err)
	}
}
