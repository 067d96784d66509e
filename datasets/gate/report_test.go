package gate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestReportJSONAndSummary(t *testing.T) {
	rep := &Report{Rows: 3, K: 10, Findings: []Finding{
		{Rule: RulePhone, Column: "notes", Count: 7, Rows: []int{1, 2, 3, 4, 5}, Detail: ruleDetail[RulePhone]},
		{Rule: RuleSmallGroup, Column: "age_band+sex", Count: 2, Detail: "2 groups smaller than k=10 (of 4 groups, 5 records): sizes 1, 4"},
	}}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, rep) {
		t.Errorf("JSON round trip: got %+v, want %+v", back, rep)
	}
	if !strings.Contains(string(js), `"rule":"phone"`) || strings.Contains(string(js), `"rows":null`) {
		t.Errorf("JSON %s", js)
	}
	sum := rep.Summary()
	for _, want := range []string{"FAILED", "k=10", "2 findings", "phone", "rows 1, 2, 3, 4, 5, …", "sizes 1, 4"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary does not hold %q:\n%s", want, sum)
		}
	}
	if lines := strings.Count(sum, "\n"); lines != 3 {
		t.Errorf("summary has %d lines, want 3:\n%s", lines, sum)
	}
	pass := (&Report{Passed: true, Rows: 5, K: 10}).Summary()
	if !strings.HasPrefix(pass, "anonymisation gate: passed") {
		t.Errorf("summary of a pass: %q", pass)
	}
}
