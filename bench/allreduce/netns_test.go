package main

import "testing"

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"10gbit": 1.25e9, "25gbit": 3.125e9, "800mbit": 1e8, "1.5gbit": 1.875e8, "100kbit": 12500} {
		got, err := parseRate(in)
		if err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "10gb", "10", "gbit", "-1gbit", "0gbit", "10 gbit", "10Gbit"} {
		if _, err := parseRate(bad); err == nil {
			t.Errorf("parseRate(%q) accepted", bad)
		}
	}
}
