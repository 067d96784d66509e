package dicom

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/dicom/dicomtest"
	dcm "github.com/suyashkumar/dicom"
)

// TestRawKeepsPHI makes sure the corpus carries the identifying values the
// de-identification tests look for: without it they could pass vacuously.
func TestRawKeepsPHI(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{BurnedIn: true})
	got, _ := readAll(t, dir, Options{Raw: true})
	found := map[string]bool{}
	for _, in := range got {
		if in.Patient != "" {
			t.Fatalf("%s: Raw read has a pseudonym", in.Path)
		}
		for _, a := range in.Attributes {
			for _, s := range truth.PHI {
				if strings.Contains(strings.ToUpper(a.Value), strings.ToUpper(s)) {
					found[s] = true
				}
			}
		}
	}
	for _, s := range truth.PHI {
		if !found[s] {
			t.Errorf("identifying value %q written but not read back raw", s)
		}
	}
}

func TestNoPHIAfterDeidentification(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{BurnedIn: true})
	for _, mode := range []string{DatesShift, DatesYear} {
		got, _ := readAll(t, dir, Options{Key: testKey, Dates: mode})
		for _, in := range got {
			for _, a := range in.Attributes {
				v := strings.ToUpper(a.Value)
				for _, s := range truth.PHI {
					if strings.Contains(v, strings.ToUpper(s)) {
						t.Errorf("%s %s (%s): identifying value left in %s (%d chars)", mode, in.Path, a.Tag, a.Keyword, len(s))
					}
				}
				for _, u := range truth.UIDs {
					if strings.Contains(a.Value, u) {
						t.Errorf("%s %s: original UID left in %s", mode, in.Path, a.Tag)
					}
				}
				for _, part := range strings.Split(a.Tag, ">") {
					if strings.IndexByte("13579BDF", part[4]) >= 0 {
						t.Errorf("%s %s: private attribute %s kept", mode, in.Path, a.Tag)
					}
				}
			}
		}
	}
}

func TestProfileActions(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{BurnedIn: true})
	got, _ := readAll(t, dir, Options{Key: testKey})
	p, _ := deid.NewPseudonymiser(testKey)
	for path, f := range truth.Files {
		in := got[path]
		pseudo := p.Pseudonymise(f.PatientID)
		if in.Patient != pseudo || len(pseudo) != deid.PseudonymHexLen {
			t.Fatalf("%s: patient %q, want the tabular pseudonym %q", path, in.Patient, pseudo)
		}
		must := map[string]string{
			"(0010,0010)": pseudo, "(0010,0020)": pseudo, // PatientName, PatientID
			"(0008,0050)": "", // AccessionNumber Z
			"(0008,0090)": "", // ReferringPhysicianName Z
			"(0020,0010)": "", // StudyID Z
			"(0012,0062)": "YES",
			"(0028,0303)": "MODIFIED",
			"(0008,0060)": "CR", // technical, kept
			"(0018,0015)": "CHEST",
		}
		for tg, want := range must {
			a, ok := attr(in, tg)
			if !ok || a.Value != want {
				t.Errorf("%s %s: %q (present %v), want %q", path, tg, a.Value, ok, want)
			}
		}
		for _, tg := range []string{
			"(0010,0030)", "(0010,1000)", "(0010,1001)", "(0010,1002)", "(0010,1040)", "(0010,1060)", "(0010,2154)",
			"(0010,21B0)", "(0010,4000)", "(0010,1020)", "(0010,1030)", "(0010,0021)",
			"(0008,0080)", "(0008,0081)", "(0008,0094)", "(0008,1010)", "(0008,1030)", "(0008,1040)", "(0008,1048)",
			"(0008,1050)", "(0008,1060)", "(0008,1070)", "(0008,1110)", "(0018,1000)", "(0020,4000)", "(0032,1032)",
			"(0040,0253)", "(0040,0244)", "(0040,0275)", "(0040,0275)>(0032,1060)", "(0008,103E)",
		} {
			if _, ok := attr(in, tg); ok {
				t.Errorf("%s: %s not removed", path, tg)
			}
		}
		if a, _ := attr(in, "(0010,0040)"); a.Value != "F" && a.Value != "M" {
			t.Errorf("%s: PatientSex %q not kept", path, a.Value)
		}
		if a, _ := attr(in, "(0010,1010)"); len(a.Value) != 4 || a.Value[2] != '0' || a.Value[3] != 'Y' {
			t.Errorf("%s: PatientAge %q not banded to a decade", path, a.Value)
		}
		if a, _ := attr(in, "(0012,0063)"); !strings.Contains(a.Value, "Basic Application Confidentiality Profile") {
			t.Errorf("%s: DeidentificationMethod %q", path, a.Value)
		}
		codes := map[string]bool{}
		for _, a := range in.Attributes {
			if a.Tag == "(0012,0064)>(0008,0100)" {
				codes[a.Value] = true
			}
		}
		if !codes["113100"] || !codes["113107"] {
			t.Errorf("%s: method codes %v, want 113100 and 113107", path, codes)
		}
		if a, _ := attr(in, "(0002,0003)"); a.Value != in.SOP {
			t.Errorf("%s: MediaStorageSOPInstanceUID %q differs from SOPInstanceUID %q", path, a.Value, in.SOP)
		}
	}
}

func TestUIDRemapping(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{BurnedIn: true})
	got, _ := readAll(t, dir, Options{Key: testKey})
	again, _ := readAll(t, dir, Options{Key: testKey})
	other, _ := readAll(t, dir, Options{Key: []byte("another key of thirty-two bytes!")})
	studies := map[string]string{}
	sops := map[string]string{}
	for path, f := range truth.Files {
		in := got[path]
		for _, u := range []string{in.Study, in.Series, in.SOP} {
			if !strings.HasPrefix(u, "2.25.") || len(u) > 64 || u == f.Study || u == f.Series || u == f.SOP {
				t.Fatalf("%s: UID %q not remapped to 2.25", path, u)
			}
		}
		if prev, ok := studies[f.Study]; ok && prev != in.Study {
			t.Errorf("%s: study UID remapped inconsistently", path)
		}
		studies[f.Study] = in.Study
		sops[f.SOP] = in.SOP
		if a, b := again[path], in; a.Study != b.Study || a.SOP != b.SOP || a.Patient != b.Patient {
			t.Errorf("%s: same key, different output", path)
		}
		if o := other[path]; o.Study == in.Study || o.SOP == in.SOP || o.Patient == in.Patient {
			t.Errorf("%s: other key, same output", path)
		}
	}
	if len(studies) < 2 {
		t.Fatal("corpus has one study")
	}
	// References inside sequences follow the same mapping.
	refs := 0
	for path, in := range got {
		a, ok := attr(in, "(0008,1140)>(0008,1155)")
		if !ok {
			continue
		}
		refs++
		found := false
		for _, s := range sops {
			found = found || s == a.Value
		}
		if !found {
			t.Errorf("%s: referenced SOP %q is not the remapped UID of any file", path, a.Value)
		}
		if st, _ := attr(in, "(0008,1110)>(0008,1155)"); st.Value != "" {
			t.Errorf("%s: ReferencedStudySequence kept", path)
		}
	}
	if refs == 0 {
		t.Fatal("no ReferencedImageSequence in the corpus")
	}
}

func TestDates(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{BurnedIn: true})
	shifted, _ := readAll(t, dir, Options{Key: testKey})
	year, _ := readAll(t, dir, Options{Key: testKey, Dates: DatesYear})
	offsets := map[string]int{}
	distinct := map[int]bool{}
	for path, f := range truth.Files {
		orig, _ := time.Parse("20060102", f.StudyDate)
		a, _ := attr(shifted[path], "(0008,0020)")
		d, err := time.Parse("20060102", a.Value)
		if err != nil {
			t.Fatalf("%s: shifted StudyDate %q: %v", path, a.Value, err)
		}
		days := int(d.Sub(orig).Hours() / 24)
		if days == 0 || days < -365 || days > 365 {
			t.Errorf("%s: shift of %d days", path, days)
		}
		if prev, ok := offsets[f.PatientID]; ok && prev != days {
			t.Errorf("%s: patient shifted by %d and %d days", path, prev, days)
		}
		offsets[f.PatientID] = days
		distinct[days] = true
		for _, tg := range []string{"(0008,0021)", "(0008,0022)", "(0008,0023)"} {
			if b, _ := attr(shifted[path], tg); b.Value != a.Value {
				t.Errorf("%s: %s %q, StudyDate %q: not shifted alike", path, tg, b.Value, a.Value)
			}
		}
		if tm, _ := attr(shifted[path], "(0008,0030)"); tm.Value == "" {
			t.Errorf("%s: StudyTime emptied under shift", path)
		}
		y, _ := attr(year[path], "(0008,0020)")
		if y.Value != f.StudyDate[:4]+"0101" {
			t.Errorf("%s: year mode StudyDate %q, want %s0101", path, y.Value, f.StudyDate[:4])
		}
		if tm, ok := attr(year[path], "(0008,0030)"); !ok || tm.Value != "" {
			t.Errorf("%s: year mode StudyTime %q (present %v), want empty", path, tm.Value, ok)
		}
	}
	if len(distinct) < 3 {
		t.Errorf("only %d distinct offsets over %d patients", len(distinct), len(offsets))
	}
}

func TestPrivateTags(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{BurnedIn: true})
	got, _ := readAll(t, dir, Options{Key: testKey, KeepPrivate: []string{"(0009,1002)"}})
	for path, f := range truth.Files {
		in := got[path]
		if a, ok := attr(in, "(0009,1002)"); !ok || a.Value != f.PrivateValue {
			t.Errorf("%s: kept private tag %q (present %v), want %q", path, a.Value, ok, f.PrivateValue)
		}
		if _, ok := attr(in, "(0009,0010)"); !ok {
			t.Errorf("%s: private creator of a kept tag removed", path)
		}
		for _, tg := range []string{"(0009,1001)", "(0011,0010)", "(0011,1010)"} {
			if _, ok := attr(in, tg); ok {
				t.Errorf("%s: private %s kept", path, tg)
			}
		}
	}
	for _, bad := range []string{"(0010,0010)", "0009,1002", "(zzzz,0000)"} {
		if _, err := ReadDir(dir, Options{Key: testKey, KeepPrivate: []string{bad}}, nil); !errors.Is(err, ErrOptions) {
			t.Errorf("KeepPrivate %q: %v, want ErrOptions", bad, err)
		}
	}
}

func TestOptionsRefused(t *testing.T) {
	for name, o := range map[string]Options{
		"no key":    {},
		"short key": {Key: []byte("short")},
		"dates":     {Key: testKey, Dates: "month"},
	} {
		if _, err := ReadDir(t.TempDir(), o, nil); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: %v, want ErrOptions", name, err)
		}
	}
	if err := Deidentify(&dcm.Dataset{}, Options{Raw: true}); !errors.Is(err, ErrOptions) {
		t.Errorf("Deidentify with Raw: %v", err)
	}
}

// TestDeidentifiedWritesBack checks that the de-identified data set is
// still a DICOM file: the library writes it, and it reads back to the same
// attributes.
func TestDeidentifiedWritesBack(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{BurnedIn: true})
	s := mustSettings(t, Options{Raw: true})
	n := 0
	for p := range truth.Files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		ds, err := parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := Deidentify(&ds, Options{Key: testKey}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := dcm.Write(&buf, ds); err != nil {
			t.Fatalf("%s: de-identified data set not writable: %v", p, err)
		}
		back, err := s.readBytes(buf.Bytes(), p)
		if err != nil {
			t.Fatalf("%s: written de-identified file does not read: %v", p, err)
		}
		want := attributes(ds.Elements)
		if len(back.Attributes) != len(want) {
			t.Fatalf("%s: %d attributes read back, %d written", p, len(back.Attributes), len(want))
		}
		for i := range want {
			if w, g := want[i], back.Attributes[i]; w.Tag != g.Tag || w.Value != g.Value {
				if w.Tag == "(0002,0000)" {
					continue // group length recomputed
				}
				t.Errorf("%s: %s = %q written, %s = %q read", p, w.Tag, w.Value, g.Tag, g.Value)
			}
		}
		n++
	}
	if n == 0 {
		t.Fatal("nothing written back")
	}
}

func TestOptionsRedactKey(t *testing.T) {
	o := Options{Key: []byte("super-secret-key-material-123456")}
	for _, s := range []string{fmt.Sprint(o), fmt.Sprintf("%v %+v %#v %s", o, o, o, o)} {
		if strings.Contains(s, "super-secret") || strings.Contains(s, "115 117 112") {
			t.Fatalf("key printed: %s", s)
		}
	}
}
