package release

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func testReport(f Files) SiteReport {
	return SiteReport{
		Site: "St Elsewhere NHS Foundation Trust", ModelName: "wdbc-malignancy", ModelVersion: "1",
		ONNXSHA256: digest(f.ONNX), StatementSHA256: digest(f.Statement), CodeVersion: "v0.1.0",
		SuppressBelow: 10, CreatedAt: created, Evaluation: json.RawMessage(`{"n":120,"auroc":{"estimate":0.97}}`),
	}
}

func TestSiteReportSignVerifyAndCheck(t *testing.T) {
	files, pub, _ := sealed(t)
	v, err := VerifyBytes(files, pub)
	if err != nil {
		t.Fatal(err)
	}
	sitePub, sitePriv := newKey(t)
	report, sig, err := SignReport(testReport(files), sitePriv)
	if err != nil {
		t.Fatal(err)
	}
	r, err := VerifyReport(report, sig)
	if err != nil {
		t.Fatal(err)
	}
	if r.SiteKey != Fingerprint(sitePub) || r.CheckAgainst(v) != nil {
		t.Fatalf("site key %s (want %s), check %v", r.SiteKey, Fingerprint(sitePub), r.CheckAgainst(v))
	}

	t.Run("an altered byte", func(t *testing.T) {
		bad := bytes.Replace(report, []byte("0.97"), []byte("0.99"), 1)
		if _, err := VerifyReport(bad, sig); !errors.Is(err, ErrReportSignature) {
			t.Fatalf("got %v, want ErrReportSignature", err)
		}
	})
	t.Run("another key put in the report", func(t *testing.T) {
		otherPub, _ := newKey(t)
		var m map[string]any
		_ = json.Unmarshal(report, &m)
		bad := bytes.Replace(report, []byte(m["site_public_key"].(string)), []byte(base64.StdEncoding.EncodeToString(otherPub)), 1)
		if _, err := VerifyReport(bad, sig); !errors.Is(err, ErrReportSignature) {
			t.Fatalf("got %v, want ErrReportSignature", err)
		}
	})
	t.Run("another model file", func(t *testing.T) {
		r := testReport(files)
		r.ONNXSHA256 = hashOf("another model")
		report, sig, err := SignReport(r, sitePriv)
		if err != nil {
			t.Fatal(err)
		}
		got, err := VerifyReport(report, sig)
		if err != nil {
			t.Fatal(err)
		}
		if err := got.CheckAgainst(v); !errors.Is(err, ErrReportMismatch) || !strings.Contains(err.Error(), "model.onnx") {
			t.Fatalf("got %v, want ErrReportMismatch naming model.onnx", err)
		}
	})
	t.Run("a floor below 1", func(t *testing.T) {
		r := testReport(files)
		r.SuppressBelow = 0
		if _, _, err := SignReport(r, sitePriv); !errors.Is(err, ErrInvalidReport) {
			t.Fatalf("got %v, want ErrInvalidReport", err)
		}
	})
}

// FuzzVerifyReport: VerifyReport never panics and refuses with one of its sentinels;
// what it accepts is canonical.
func FuzzVerifyReport(f *testing.F) {
	files, _, _ := sealed(f)
	_, priv := newKey(f)
	report, sig, err := SignReport(testReport(files), priv)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(report, sig)
	f.Add(report[:len(report)-2], sig)
	f.Add(bytes.Replace(report, []byte(`"site"`), []byte(`"Site"`), 1), sig)
	f.Add([]byte(`{}`), sig)
	f.Add([]byte(`null`), []byte("AAAA"))
	f.Fuzz(func(t *testing.T, report, sig []byte) {
		r, err := VerifyReport(report, sig)
		if err != nil {
			if r != nil || !(errors.Is(err, ErrInvalidReport) || errors.Is(err, ErrReportSignature)) {
				t.Fatalf("error %v without a sentinel, or a result came with it", err)
			}
			return
		}
		if again, err := r.Encode(); err != nil || !bytes.Equal(again, report) {
			t.Fatalf("accepted a report that does not re-encode to its bytes: %v", err)
		}
	})
}
