package synth

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/gate"
)

// TestGateDetectionOnNotes measures the gate's content rules on the
// generator's free-text notes, whose identifiers are known by construction
// (each template marks what it inserts). Names include some outside the
// gate's built-in lists, so name recall below 1 is expected.
func TestGateDetectionOnNotes(t *testing.T) {
	_, rows := Generate(5000, 11)
	notes := slices.Index(Header, "notes")
	type kind struct {
		label  string
		marker func(note string, row []string) bool // truth: the note holds this identifier
		rules  []string
		minRec float64
	}
	kinds := []kind{
		{"nhs_number", func(n string, _ []string) bool { return strings.Contains(n, "NHS No ") },
			[]string{gate.RuleNHSNumber, gate.RuleNHSKeyword}, 1},
		{"name", func(n string, r []string) bool { return strings.Contains(n, r[1]) || strings.Contains(n, r[2]) },
			[]string{gate.RuleName}, 0.7},
		{"date_of_birth", func(n string, _ []string) bool { return strings.Contains(n, "DOB ") },
			[]string{gate.RuleDateOfBirth, gate.RuleFullDate}, 1},
		{"postcode", func(n string, _ []string) bool { return strings.Contains(n, "Lives at ") },
			[]string{gate.RulePostcode}, 1},
		{"phone", func(n string, _ []string) bool { return strings.Contains(n, "NOK tel ") },
			[]string{gate.RulePhone}, 1},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gate detection on %d synthetic notes (per note)\n%-14s %6s %6s %6s %6s %7s\n", len(rows), "identifier", "TP", "FN", "FP", "TN", "recall")
	for _, k := range kinds {
		var tp, fn, fp, tn int
		for _, r := range rows {
			note := r[notes]
			detected := false
			for _, m := range gate.ScanCell(note) {
				if slices.Contains(k.rules, m.Rule) {
					detected = true
				}
			}
			switch truth := k.marker(note, r); {
			case truth && detected:
				tp++
			case truth:
				fn++
			case detected:
				fp++
			default:
				tn++
			}
		}
		recall := float64(tp) / float64(max(1, tp+fn))
		fmt.Fprintf(&b, "%-14s %6d %6d %6d %6d %7.3f\n", k.label, tp, fn, fp, tn, recall)
		if recall < k.minRec {
			t.Errorf("%s: recall %.3f below %.2f", k.label, recall, k.minRec)
		}
		if fp > 0 {
			t.Errorf("%s: %d notes flagged without one", k.label, fp)
		}
	}
	t.Log("\n" + b.String())
}
