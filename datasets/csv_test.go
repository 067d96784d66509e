package datasets

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// secret stands for an identifying cell value: no error may repeat it.
const secret = "PATIENT4711"

func TestReadTabularCSV(t *testing.T) {
	in := "\xEF\xBB\xBFid, a ,b,label\r\n" +
		"x1, 1.5 ,-2,pos\r\n" +
		"x2,3e2,0,neg\r\n" +
		"\r\n" + // blank lines are skipped
		"x3,\"4\",1e-3, pos \r\n"
	tab, err := ReadTabularCSV(strings.NewReader(in), "t.csv", TabularOptions{
		Label: "label", Classes: []string{"neg", "pos"}, Exclude: []string{"id"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &Tabular{
		Features: []string{"a", "b"},
		Classes:  []string{"neg", "pos"},
		X:        []float32{1.5, -2, 300, 0, 4, 1e-3},
		Y:        []int32{1, 0, 1},
		Rows:     3,
	}
	if !reflect.DeepEqual(tab, want) {
		t.Errorf("got %+v\nwant %+v", tab, want)
	}
}

func TestReadTabularCSVOptions(t *testing.T) {
	in := "a,b,c,y\n1,2,3,z\n4,5,6,m\n7,8,9,z\n"
	tests := []struct {
		name     string
		opts     TabularOptions
		features []string
		classes  []string
		x        []float32
		y        []int32
	}{
		{"all columns, discovered classes sorted", TabularOptions{Label: "y"},
			[]string{"a", "b", "c"}, []string{"m", "z"}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, []int32{1, 0, 1}},
		{"chosen features in given order", TabularOptions{Label: "y", Features: []string{"c", "a"}, Classes: []string{"z", "m"}},
			[]string{"c", "a"}, []string{"z", "m"}, []float32{3, 1, 6, 4, 9, 7}, []int32{0, 1, 0}},
		{"exclude", TabularOptions{Label: "y", Exclude: []string{"b"}},
			[]string{"a", "c"}, []string{"m", "z"}, []float32{1, 3, 4, 6, 7, 9}, []int32{1, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := ReadTabularCSV(strings.NewReader(in), "o.csv", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tab.Features, tt.features) || !reflect.DeepEqual(tab.Classes, tt.classes) ||
				!reflect.DeepEqual(tab.X, tt.x) || !reflect.DeepEqual(tab.Y, tt.y) || tab.Rows != 3 {
				t.Errorf("got %+v", tab)
			}
		})
	}
}

func TestReadTabularCSVErrors(t *testing.T) {
	opts := TabularOptions{Label: "y", Classes: []string{"n", "p"}}
	tests := []struct {
		name   string
		in     string
		opts   TabularOptions
		err    error
		line   int
		column string
	}{
		{"empty file", "", opts, ErrEmpty, 0, ""},
		{"only a BOM", "\xEF\xBB\xBF", opts, ErrEmpty, 0, ""},
		{"header only", "a,y\n", opts, ErrNoRows, 0, ""},
		{"ragged short", "a,b,y\n1,2,n\n1,p\n", opts, ErrRagged, 3, ""},
		{"ragged long", "a,y\n1,n,2\n", opts, ErrRagged, 2, ""},
		{"non-numeric", "a,b,y\n1,2,n\n3," + secret + ",p\n", opts, ErrNotNumeric, 3, "b"},
		{"NaN", "a,y\nNaN,n\n", opts, ErrNotNumeric, 2, "a"},
		{"infinite", "a,y\n-Inf,n\n", opts, ErrNotNumeric, 2, "a"},
		{"out of float32 range", "a,y\n1e39,n\n", opts, ErrNotNumeric, 2, "a"},
		{"empty cell", "a,y\n ,n\n", opts, ErrNotNumeric, 2, "a"},
		{"unknown label", "a,y\n1,n\n2," + secret + "\n", opts, ErrUnknownLabel, 3, "y"},
		{"empty discovered label", "a,y\n1,\n", TabularOptions{Label: "y"}, ErrUnknownLabel, 2, "y"},
		{"missing label column", "a,b\n1,2\n", opts, ErrMissingColumn, 1, "y"},
		{"missing feature column", "a,y\n1,n\n", TabularOptions{Label: "y", Features: []string{"q"}}, ErrMissingColumn, 1, "q"},
		{"missing excluded column", "a,y\n1,n\n", TabularOptions{Label: "y", Exclude: []string{"id"}}, ErrMissingColumn, 1, "id"},
		{"duplicate header", "a,b,a,y\n1,2,3,n\n", opts, ErrDuplicateColumn, 1, "a"},
		{"empty header name", "a,,y\n1,2,n\n", opts, ErrMalformed, 1, ""},
		{"label as feature", "a,y\n1,n\n", TabularOptions{Label: "y", Features: []string{"y"}}, ErrOptions, 1, "y"},
		{"feature excluded", "a,y\n1,n\n", TabularOptions{Label: "y", Features: []string{"a"}, Exclude: []string{"a"}}, ErrOptions, 1, "a"},
		{"no features left", "a,y\n1,n\n", TabularOptions{Label: "y", Exclude: []string{"a"}}, ErrOptions, 1, ""},
		{"no label given", "a,y\n1,n\n", TabularOptions{}, ErrOptions, 0, ""},
		{"duplicate class", "a,y\n1,n\n", TabularOptions{Label: "y", Classes: []string{"n", "n"}}, ErrOptions, 0, ""},
		{"bare quote", "a,y\n1,n\n2\"" + secret + ",p\n", opts, ErrMalformed, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTabularCSV(strings.NewReader(tt.in), "bad.csv", tt.opts)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			var ce *CSVError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *CSVError", err)
			}
			if ce.Source != "bad.csv" || ce.Line != tt.line || ce.Column != tt.column {
				t.Errorf("at %s:%d column %q, want bad.csv:%d column %q", ce.Source, ce.Line, ce.Column, tt.line, tt.column)
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, "bad.csv") {
				t.Errorf("error %q does not start with the source", msg)
			}
			if tt.column != "" && !strings.Contains(msg, `"`+tt.column+`"`) {
				t.Errorf("error %q does not name column %q", msg, tt.column)
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error %q repeats the cell value", msg)
			}
		})
	}
}

func TestLoadTabularCSVWDBC(t *testing.T) {
	tab, err := LoadTabularCSV("testdata/wdbc.csv", TabularOptions{Label: "diagnosis", Classes: []string{"B", "M"}})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != 569 || len(tab.Features) != 30 || len(tab.X) != 569*30 || len(tab.Y) != 569 {
		t.Fatalf("rows %d, features %d, len(X) %d, len(Y) %d", tab.Rows, len(tab.Features), len(tab.X), len(tab.Y))
	}
	var malignant int
	for _, y := range tab.Y {
		malignant += int(y)
	}
	if malignant != 212 {
		t.Errorf("%d malignant rows, want 212", malignant)
	}
	if tab.Features[0] != "radius_mean" || tab.X[0] != 17.99 || tab.X[29] != 0.1189 {
		t.Errorf("first row starts %s=%v, ends %v", tab.Features[0], tab.X[0], tab.X[29])
	}
	if _, err := LoadTabularCSV("testdata/absent.csv", TabularOptions{Label: "y"}); err == nil || !strings.Contains(err.Error(), "absent.csv") {
		t.Errorf("missing file error = %v", err)
	}
}

func FuzzReadTabularCSV(f *testing.F) {
	f.Add("a,b,y\n1,2,n\n3,4,p\n", true)
	f.Add("\xEF\xBB\xBFid,a,y\nq,1.5e3,p\n", false)
	f.Add("a,y\n1,n\n2\n", true)
	f.Add("a,a,y\n", false)
	f.Add("\"a\nb\",y\n\"1\",\"n\"\n", true)
	f.Fuzz(func(t *testing.T, in string, declared bool) {
		opts := TabularOptions{Label: "y"}
		if declared {
			opts.Classes = []string{"n", "p"}
		}
		tab, err := ReadTabularCSV(strings.NewReader(in), "fuzz.csv", opts)
		if err != nil {
			var ce *CSVError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *CSVError: %v", err, err)
			}
			return
		}
		if tab.Rows < 1 || len(tab.Y) != tab.Rows || len(tab.X) != tab.Rows*len(tab.Features) || len(tab.Features) == 0 {
			t.Fatalf("inconsistent table: rows %d, len(Y) %d, len(X) %d, features %d", tab.Rows, len(tab.Y), len(tab.X), len(tab.Features))
		}
		for _, y := range tab.Y {
			if y < 0 || int(y) >= len(tab.Classes) {
				t.Fatalf("label index %d outside %d classes", y, len(tab.Classes))
			}
		}
		for _, x := range tab.X {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("non-finite feature %v", x)
			}
		}
	})
}
