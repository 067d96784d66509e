package dicom

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// shiftDA modifies one DA value: by offset days, or to 1 January of its
// year (year). A value that is not YYYYMMDD becomes empty: an unparsed date
// is not known to be harmless.
func shiftDA(v string, offset int, year bool) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if len(v) != 8 {
		return ""
	}
	d, err := time.Parse("20060102", v)
	if err != nil {
		return ""
	}
	if year {
		return fmt.Sprintf("%04d0101", d.Year())
	}
	return d.AddDate(0, 0, offset).Format("20060102")
}

// shiftDT modifies one DT value (YYYYMMDDHHMMSS.FFFFFF&ZZXX): the date part
// as shiftDA, the rest kept when shifting (a whole-day shift leaves the
// time of day consistent) and dropped when reducing to the year.
func shiftDT(v string, offset int, year bool) string {
	v = strings.TrimSpace(v)
	if len(v) < 8 {
		return ""
	}
	d := shiftDA(v[:8], offset, year)
	if d == "" || year {
		return d
	}
	return d + v[8:]
}

// ageBand reduces an AS value (nnnY/M/W/D) to its decade, 090Y for 90 and
// over; ages under a year become 000Y. A malformed age becomes empty.
func ageBand(v string) string {
	v = strings.TrimSpace(v)
	if len(v) != 4 {
		return ""
	}
	n, err := strconv.Atoi(v[:3])
	if err != nil || n < 0 {
		return ""
	}
	switch v[3] {
	case 'Y':
		n = n / 10 * 10
		if n > 90 {
			n = 90
		}
		return fmt.Sprintf("%03dY", n)
	case 'M', 'W', 'D':
		return "000Y"
	}
	return ""
}
