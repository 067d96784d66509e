package main

import "testing"

func TestParseReference(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[shape]float64
		wantErr bool
	}{
		{"two lines", "openblas sgemm m=256 n=256 k=256 gflops=182.5\nopenblas sgemm m=128 n=10 k=128 gflops=58.7\n",
			map[shape]float64{{256, 256, 256}: 182.5, {128, 10, 128}: 58.7}, false},
		{"stray line", "openblas sgemm m=2 n=2 k=2 gflops=1.0\nwarning: something\n", nil, true},
		{"zero size", "openblas sgemm m=0 n=2 k=2 gflops=1.0\n", nil, true},
		{"huge size", "openblas sgemm m=99999999999999999999 n=2 k=2 gflops=1.0\n", nil, true},
		{"empty", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseReference([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for s, v := range tt.want {
				if got[s] != v {
					t.Fatalf("shape %v: got %g, want %g", s, got[s], v)
				}
			}
		})
	}
}

func FuzzParseReference(f *testing.F) {
	f.Add([]byte("openblas sgemm m=256 n=256 k=256 gflops=182.5\n"))
	f.Add([]byte("openblas sgemm m=1 n=1 k=1 gflops=0\nopenblas sgemm m=1 n=1 k=1 gflops=1e3"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, in []byte) {
		res, err := parseReference(in)
		if err != nil {
			return
		}
		for s := range res {
			if s.m < 1 || s.n < 1 || s.k < 1 {
				t.Fatalf("accepted non-positive shape %v from %q", s, in)
			}
		}
	})
}

func TestParseThreads(t *testing.T) {
	if got, err := parseThreads("1, 2"); err != nil || len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("parseThreads(\"1, 2\") = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "a", "1,,2", "-1"} {
		if _, err := parseThreads(bad); err == nil {
			t.Fatalf("parseThreads(%q) accepted", bad)
		}
	}
}
