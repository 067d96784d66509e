package release

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseStatement: ParseStatement never panics, returns ErrInvalidStatement for
// anything it refuses, and anything it accepts re-encodes to the same bytes.
func FuzzParseStatement(f *testing.F) {
	st := testStatement()
	st.ONNXSHA256, st.CardSHA256, st.ApproverKey = hashOf("onnx"), hashOf("card"), "0123456789abcdef"
	good, err := st.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(bytes.Replace(good, []byte(`"schema"`), []byte(`"Schema"`), 1))
	f.Add(bytes.Replace(good, []byte(`{"schema"`), []byte(`{"model_name":"x","schema"`), 1))
	f.Add(bytes.Replace(good, []byte(`0.965`), []byte(`1e400`), 1))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"metrics":{"a":NaN}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseStatement(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidStatement) || s != nil {
				t.Fatalf("error %v does not wrap ErrInvalidStatement, or a result came with it", err)
			}
			return
		}
		again, err := s.Encode()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted input does not re-encode identically (%v):\n%q\n%q", err, data, again)
		}
	})
}

// FuzzParseCard: the same for card.json.
func FuzzParseCard(f *testing.F) {
	c := testCard()
	good, err := c.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"auroc": 0.991`), []byte(`"auroc": 9.91e-1`), 1))
	f.Add(bytes.Replace(good, []byte(`"features": [`), []byte(`"features": null, "x": [`), 1))
	f.Add(bytes.Replace(good, []byte("\n"), nil, -1))
	f.Add([]byte(`{"evaluation":{}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCard(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidCard) || c != nil {
				t.Fatalf("error %v does not wrap ErrInvalidCard, or a result came with it", err)
			}
			return
		}
		again, err := c.Encode()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted input does not re-encode identically (%v):\n%q\n%q", err, data, again)
		}
	})
}

// FuzzDecodeSignature: never panics; accepted input is 64 bytes that re-encode to the
// trimmed input.
func FuzzDecodeSignature(f *testing.F) {
	_, priv := newKey(f)
	f.Add(EncodeSignature(Sign([]byte("x"), priv)))
	f.Add([]byte(""))
	f.Add([]byte("AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sig, err := DecodeSignature(data)
		if err != nil {
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("error %v does not wrap ErrSignature", err)
			}
			return
		}
		if len(sig) != 64 || !bytes.Equal(bytes.TrimSpace(EncodeSignature(sig)), bytes.TrimSpace(data)) {
			t.Fatalf("accepted %q gives %d bytes", data, len(sig))
		}
	})
}
