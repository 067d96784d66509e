package deid

import (
	"errors"
	"testing"
	"time"
)

func TestAgeBand(t *testing.T) {
	ref := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		dob, want string
		err       error
	}{
		{"1981-01-01", "45-49", nil}, // 45th birthday on the reference date
		{"1981-01-02", "40-44", nil}, // one day short of 45
		{"02/01/1981", "40-44", nil}, // day first
		{"1981-01-02T10:00:00", "40-44", nil},
		{"2025-06-30", "0-4", nil},
		{"1936-01-02", "85-89", nil},
		{"1936-01-01", "90+", nil},
		{"1900-05-05", "90+", nil},
		{"", "", nil},
		{"2026-01-02", "", ErrImplausibleBirth},
		{"1890-01-01", "", ErrImplausibleBirth},
		{"31/02/1980", "", ErrBadDate},
		{"1980", "", ErrBadDate},
		{"yesterday", "", ErrBadDate},
	}
	for _, tt := range tests {
		t.Run(tt.dob, func(t *testing.T) {
			got, err := AgeBand(tt.dob, ref)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Errorf("AgeBand(%q) = %q, %v; want %q, %v", tt.dob, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestEventMonth(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"2024-11-02", "2024-11", nil},
		{"02/11/2024", "2024-11", nil},
		{"2.11.2024", "2024-11", nil},
		{"2024-11-02 14:30", "2024-11", nil},
		{"2024-11", "2024-11", nil},
		{"", "", nil},
		{"11/2024", "", ErrBadDate},
		{"2024-13-01", "", ErrBadDate},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := EventMonth(tt.in)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Errorf("EventMonth(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestPostcodeDistrict(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"LS6 2AB", "LS6", nil},
		{"  ls6   2ab ", "LS6", nil},
		{"SW1A 1AA", "SW1A", nil},
		{"M1 1AE", "M1", nil},
		{"DN55 1PT", "DN55", nil},
		{"W1A 0AX", "W1A", nil},
		{"GIR 0AA", "GIR", nil},
		{"", "", nil},
		{"LS62AB", "", ErrPostcodeAmbiguous},
		{"SW1A1AA", "", ErrPostcodeAmbiguous},
		{"LS6", "", ErrPostcodeAmbiguous},
		{"LS6 2AB X", "", ErrBadPostcode},
		{"LS6 2CB", "", ErrBadPostcode}, // C never appears in an inward code
		{"123 456", "", ErrBadPostcode},
		{"LSS6 2AB", "", ErrBadPostcode},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := PostcodeDistrict(tt.in)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Errorf("PostcodeDistrict(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}
