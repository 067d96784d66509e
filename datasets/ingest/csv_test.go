package ingest

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseCSV(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data string
		rows       int
		line       int // of the error, 0 for success
	}{
		{"plain", "a,b\n1,2\n3,4\n", 2, 0},
		{"bom and quoted newline", "\xEF\xBB\xBFa,b\n\"x\ny\",2\n3,4\n", 2, 0},
		{"ragged", "a,b\n1,2\n3\n", 0, 3},
		{"empty", "", 0, 0},
		{"header only", "a,b\n", 0, 0},
		{"bad quote", "a,b\n\"1,2\n", 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCSV(bytes.NewReader([]byte(tc.data)), "t.csv")
			if tc.rows > 0 {
				if err != nil || len(got.rows) != tc.rows {
					t.Fatalf("rows %v, err %v", got, err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, ErrInput) || ie.Line != tc.line {
				t.Fatalf("err = %v, want an input error at line %d", err, tc.line)
			}
		})
	}
}

// FuzzParseCSV: no input panics; accepted rows all have the header's width
// and a line number.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n"))
	f.Add([]byte("\xEF\xBB\xBFa\n\"q\"\"\"\n"))
	f.Add([]byte("a,b\n1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := parseCSV(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			return
		}
		for i, r := range tab.rows {
			if len(r) != len(tab.header) || tab.lines[i] < 2 {
				t.Fatalf("row %d: %d fields, header %d, line %d", i, len(r), len(tab.header), tab.lines[i])
			}
		}
	})
}
