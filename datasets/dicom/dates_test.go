package dicom

import "testing"

func TestShiftDates(t *testing.T) {
	for _, c := range []struct {
		in     string
		offset int
		year   bool
		want   string
	}{
		{"20240228", 1, false, "20240229"}, // leap year
		{"20230228", 1, false, "20230301"},
		{"20240101", -1, false, "20231231"},
		{"20240315", 0, true, "20240101"},
		{"2024031", 3, false, ""}, // malformed: emptied, not kept
		{"2024-03-15", 3, false, ""},
		{"", 3, false, ""},
	} {
		if got := shiftDA(c.in, c.offset, c.year); got != c.want {
			t.Errorf("shiftDA(%q, %d, %v) = %q, want %q", c.in, c.offset, c.year, got, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		year bool
		want string
	}{
		{"20240228103000.5+0100", false, "20240229103000.5+0100"},
		{"20240228103000", true, "20240101"},
		{"2024", false, ""},
	} {
		if got := shiftDT(c.in, 1, c.year); got != c.want {
			t.Errorf("shiftDT(%q, 1, %v) = %q, want %q", c.in, c.year, got, c.want)
		}
	}
	for in, want := range map[string]string{"045Y": "040Y", "089Y": "080Y", "097Y": "090Y", "006M": "000Y", "3 Y": "", "45Y": "", "ABCY": ""} {
		if got := ageBand(in); got != want {
			t.Errorf("ageBand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDayOffsetRange(t *testing.T) {
	s := mustSettings(t, Options{Key: testKey})
	seen := map[int]bool{}
	for i := 0; i < 2000; i++ {
		d := s.dayOffset(string(rune('a'+i%26)) + string(rune('0'+i/26%10)) + string(rune('0'+i/260)))
		if d == 0 || d < -365 || d > 365 {
			t.Fatalf("offset %d", d)
		}
		seen[d] = true
	}
	if !seen[-365] && !seen[365] && len(seen) < 400 {
		t.Errorf("offsets poorly spread: %d distinct", len(seen))
	}
}
