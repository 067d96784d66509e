package device

import (
	"errors"
	"math"
	"strings"
	"testing"
)

const sampleMeminfo = `MemTotal:       16318356 kB
MemFree:         1048576 kB
MemAvailable:    8159178 kB
Buffers:          123456 kB
HugePages_Total:       0
`

func TestParseMeminfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		in               string
		total, available uint64
		wantErr          string
	}{
		{"typical", sampleMeminfo, 16318356 * 1024, 8159178 * 1024, ""},
		{"missing available", "MemTotal: 1024 kB\n", 0, 0, "MemTotal and MemAvailable are both required"},
		{"empty", "", 0, 0, "both required"},
		{"wrong unit", "MemTotal: 1024 MB\nMemAvailable: 1 kB\n", 0, 0, `line 1: unexpected /proc format: MemTotal is "1024 MB"`},
		{"not a number", "MemTotal: 1024 kB\nMemAvailable: lots kB\n", 0, 0, "line 2"},
		{"overflow", "MemTotal: 18446744073709551615 kB\nMemAvailable: 1 kB\n", 0, 0, "overflows"},
		{"available above total", "MemTotal: 1 kB\nMemAvailable: 2 kB\n", 0, 0, "exceeds MemTotal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, avail, err := parseMeminfo([]byte(tt.in))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrProcFormat) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseMeminfo error = %v, want ErrProcFormat mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || total != tt.total || avail != tt.available {
				t.Errorf("parseMeminfo = %d, %d, %v; want %d, %d, nil", total, avail, err, tt.total, tt.available)
			}
		})
	}
}

func TestParseLoadavg(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{"0.52 0.58 0.59 1/389 12345\n", 0.52, false},
		{"12.00 8.00 4.00 3/1000 1", 12, false},
		{"0.52 0.58", 0, true},
		{"NaN 0.5 0.5 1/1 1", 0, true},
		{"-1 0.5 0.5 1/1 1", 0, true},
		{"busy 0.5 0.5 1/1 1", 0, true},
	}
	for _, tt := range tests {
		got, err := parseLoadavg([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseLoadavg(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrProcFormat) {
			t.Errorf("parseLoadavg(%q) error %v is not ErrProcFormat", tt.in, err)
		}
	}
}

func TestParseCPUModel(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n", "Intel(R) Xeon(R) CPU @ 2.20GHz"},
		{"processor\t: 0\nBogoMIPS\t: 50.00\n", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := parseCPUModel([]byte(tt.in)); got != tt.want {
			t.Errorf("parseCPUModel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseMeminfo(f *testing.F) {
	f.Add([]byte(sampleMeminfo))
	f.Add([]byte("MemTotal: 1 kB\nMemAvailable: 1 kB"))
	f.Add([]byte("MemTotal:\nMemAvailable: kB kB\n"))
	f.Add([]byte("MemTotal: 18446744073709551615 kB\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		total, avail, err := parseMeminfo(data)
		if err != nil {
			if !errors.Is(err, ErrProcFormat) {
				t.Fatalf("error %v is not ErrProcFormat", err)
			}
			return
		}
		if avail > total || total%1024 != 0 || avail%1024 != 0 {
			t.Fatalf("parseMeminfo = %d, %d: available above total or not whole kB", total, avail)
		}
	})
}

func FuzzParseLoadavg(f *testing.F) {
	f.Add([]byte("0.52 0.58 0.59 1/389 12345\n"))
	f.Add([]byte("Inf 1 1"))
	f.Add([]byte("1e308 1 1"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		load, err := parseLoadavg(data)
		if err != nil {
			if !errors.Is(err, ErrProcFormat) {
				t.Fatalf("error %v is not ErrProcFormat", err)
			}
			return
		}
		if load < 0 || math.IsNaN(load) || math.IsInf(load, 0) {
			t.Fatalf("parseLoadavg = %v, want a finite non-negative number", load)
		}
	})
}

func FuzzParseCPUModel(f *testing.F) {
	f.Add([]byte("model name\t: Intel(R) Xeon(R)\n"))
	f.Add([]byte("model name:\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got := parseCPUModel(data); got != strings.TrimSpace(got) || strings.Contains(got, "\n") {
			t.Fatalf("parseCPUModel = %q, want a trimmed single line", got)
		}
	})
}
