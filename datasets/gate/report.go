package gate

import (
	"fmt"
	"strconv"
	"strings"
)

// maxReportedRows bounds the row numbers a finding lists.
const maxReportedRows = 5

// Report is the gate's verdict. It is JSON-encodable for the manifest and
// holds rule names, column names, counts and row numbers only.
type Report struct {
	Passed   bool      `json:"passed"`
	Rows     int       `json:"rows"` // data rows scanned
	K        int       `json:"k"`
	Findings []Finding `json:"findings"`
}

// Finding is one rule failing on one column (or, for small groups, on the
// combination of quasi-identifier columns).
type Finding struct {
	Rule   string `json:"rule"`
	Column string `json:"column"`
	Count  int    `json:"count"`          // cells (or groups, for small_group) that failed
	Rows   []int  `json:"rows,omitempty"` // the first few failing data rows, 1-based
	Detail string `json:"detail"`
}

// Summary renders the report for a terminal, one line per finding.
func (r *Report) Summary() string {
	var b strings.Builder
	verdict := "passed"
	if !r.Passed {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "anonymisation gate: %s (%d rows, k=%d, %d findings)\n", verdict, r.Rows, r.K, len(r.Findings))
	width := 24 // DICOM attribute columns ("(0010,0010) PatientName") are longer than most CSV headers
	for _, f := range r.Findings {
		width = max(width, min(len(f.Column), 64))
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  %-20s %-*s %7d", f.Rule, width, f.Column, f.Count)
		if len(f.Rows) > 0 {
			b.WriteString("  rows ")
			b.WriteString(joinInts(f.Rows))
			if f.Count > len(f.Rows) {
				b.WriteString(", …")
			}
		}
		b.WriteString("  ")
		b.WriteString(f.Detail)
		b.WriteByte('\n')
	}
	return b.String()
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ", ")
}

// tally counts the cells of one column failing one rule.
type tally struct {
	count int
	rows  []int
}

func (t *tally) add(row int) {
	t.count++
	if len(t.rows) < maxReportedRows {
		t.rows = append(t.rows, row)
	}
}

func (t *tally) finding(rule, column, detail string) Finding {
	return Finding{Rule: rule, Column: column, Count: t.count, Rows: t.rows, Detail: detail}
}
