package gate

import (
	"encoding/json"
	"strings"
	"testing"
)

// minEchoLen is the shortest matched span the echo check looks for; shorter
// spans could occur by chance in the report's constant text.
const minEchoLen = 6

func FuzzScanCell(f *testing.F) {
	for _, e := range detectionCorpus {
		f.Add(e.text)
	}
	f.Add("nhs" + strings.Repeat(" ", 40) + "1234567890")
	f.Add(strings.Repeat("a@", 100) + "b.co")
	f.Add("+44 (0)")
	f.Add("GIR 0A")
	f.Add("31 Sept")
	f.Fuzz(func(t *testing.T, in string) {
		var spans []string
		for _, ctx := range []cellContext{{}, headerContext(in)} {
			var sc scanner
			sc.scan(in, ctx)
			for _, m := range sc.matches {
				if m.Start < 0 || m.End > len(in) || m.Start >= m.End {
					t.Fatalf("match %+v out of bounds for %d bytes", m, len(in))
				}
				if _, ok := ruleIndex[m.Rule]; !ok {
					t.Fatalf("unknown rule %q", m.Rule)
				}
				if m.End-m.Start >= minEchoLen {
					spans = append(spans, in[m.Start:m.End])
				}
			}
		}
		tab := &Table{Header: []string{"notes", in}, Rows: [][]string{{in, in}}, K: MinK}
		rep, err := Check(t.Context(), tab)
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		for _, out := range []string{string(js), rep.Summary()} {
			for _, s := range spans {
				if strings.Contains(out, s) {
					t.Fatalf("report echoes matched text %q", s)
				}
			}
		}
	})
}
