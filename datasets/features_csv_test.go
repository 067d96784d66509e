package datasets

import (
	"errors"
	"strings"
	"testing"
)

func TestReadFeaturesCSV(t *testing.T) {
	x, n, err := ReadFeaturesCSV(strings.NewReader("b,label,a\n1.5,M,2\n-3,B,4e1\n"), "rows.csv", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{2, 1.5, 40, -3}
	if n != 2 || len(x) != len(want) {
		t.Fatalf("got %d rows %v, want 2 rows %v", n, x, want)
	}
	for i := range want {
		if x[i] != want[i] {
			t.Fatalf("got %v, want %v", x, want)
		}
	}
	bad := []struct {
		name, input string
		want        error
	}{
		{"empty", "", ErrEmpty},
		{"header only", "a,b\n", ErrNoRows},
		{"missing column", "a,c\n1,2\n", ErrMissingColumn},
		{"not a number", "a,b\n1,Smith\n", ErrNotNumeric},
		{"ragged", "a,b\n1\n", ErrMalformed},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadFeaturesCSV(strings.NewReader(tc.input), "rows.csv", []string{"a", "b"})
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "Smith") {
				t.Fatalf("error echoes a cell value: %v", err)
			}
		})
	}
}

func FuzzReadFeaturesCSV(f *testing.F) {
	f.Add("a,b\n1,2\n")
	f.Add("a,b\n\"1\",\"x\"\n")
	f.Add("\ufeffa,b,c\n1,2,3\n4,5,6\n")
	f.Fuzz(func(t *testing.T, input string) {
		x, n, err := ReadFeaturesCSV(strings.NewReader(input), "fuzz.csv", []string{"a", "b"})
		if err == nil && len(x) != 2*n {
			t.Fatalf("%d values for %d rows", len(x), n)
		}
	})
}
