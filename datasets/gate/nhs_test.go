package gate

import "testing"

func TestValidNHSNumber(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"9434765919", true},
		{"943 476 5919", true},
		{"943-476-5919", true},
		{"4010232137", true},
		{"401 023 2137", true},
		{"6541003238", true},
		{"654 100 3238", true},
		{"  654 100 3238 ", true},
		{"9434765918", false}, // wrong check digit
		{"9991234560", false}, // check value 10: never valid
		{"999 123 4560", false},
		{"0000000000", false}, // passes the arithmetic, all the same digit
		{"1111111111", false},
		{"943 4765919", false}, // not 3-3-4
		{"943  476 5919", false},
		{"94347659190", false}, // eleven digits
		{"943476591", false},
		{"9434765919.5", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ValidNHSNumber(tt.in); got != tt.want {
				t.Errorf("ValidNHSNumber(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNHSCheckDigit(t *testing.T) {
	// 9991234560: 9*10+9*9+9*8+1*7+2*6+3*5+4*4+5*3+6*2 = 320; 320 mod 11 = 1; 11-1 = 10.
	d := [10]byte{'9', '9', '9', '1', '2', '3', '4', '5', '6', '0'}
	if got := nhsCheckDigit(&d); got != -1 {
		t.Errorf("check digit of 999123456 = %d, want -1 (remainder gives 10)", got)
	}
	d = [10]byte{'9', '4', '3', '4', '7', '6', '5', '9', '1', '0'}
	if got := nhsCheckDigit(&d); got != 9 {
		t.Errorf("check digit of 943476591 = %d, want 9", got)
	}
}
