package gate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

const (
	// DefaultK is the smallest group size allowed when the caller sets none.
	DefaultK = 10
	// MinK is the smallest k anyone may configure.
	MinK = 5
	// RoleIdentifier is the declared role that exempts a column from the header rule.
	RoleIdentifier = "identifier"
	// ctxCheckEvery is how many rows pass between context checks.
	ctxCheckEvery = 4096
)

// Column is what the ingest spec declared about one column of the table.
type Column struct {
	// Role is the ingest-spec role ("identifier", "feature", …); empty when
	// the column was not declared.
	Role string
	// Transformed means the values were produced by a declared
	// de-identification transform (pseudonym, age band, month, district);
	// the content rules skip such columns and check each value's form instead.
	Transformed bool
	// QuasiIdentifier puts the column in the small-group check.
	QuasiIdentifier bool
}

// Table is the gate's input: string cells after the declared transforms.
type Table struct {
	Header  []string
	Rows    [][]string
	Columns []Column // parallel to Header; nil when nothing is declared
	K       int      // 0 means DefaultK
}

// Check runs every rule over the table and returns the report. The error is
// for a malformed table or a cancelled context, never for a failed rule.
func Check(ctx context.Context, t *Table) (*Report, error) {
	k := t.K
	if k == 0 {
		k = DefaultK
	}
	if k < MinK {
		return nil, fmt.Errorf("gate: k=%d: %w (minimum %d)", k, ErrKTooSmall, MinK)
	}
	width := len(t.Header)
	cols := t.Columns
	if cols == nil {
		cols = make([]Column, width)
	}
	if len(cols) != width {
		return nil, fmt.Errorf("gate: %w: %d column declarations for %d header columns", ErrMalformedTable, len(cols), width)
	}
	for r, row := range t.Rows {
		if len(row) != width {
			return nil, fmt.Errorf("gate: %w: data row %d has %d cells, header has %d", ErrMalformedTable, r+1, len(row), width)
		}
	}

	rep := &Report{Rows: len(t.Rows), K: k, Findings: []Finding{}}
	names, headerFindings := safeColumnNames(t.Header)
	rep.Findings = append(rep.Findings, headerFindings...)

	var qi []int
	states := make([]columnState, width)
	for c := range width {
		if cols[c].QuasiIdentifier {
			qi = append(qi, c)
		}
		if identifyingHeader(t.Header[c]) && cols[c].Role != RoleIdentifier {
			rep.Findings = append(rep.Findings, Finding{
				Rule: RuleIdentifierHeader, Column: names[c], Count: 1, Detail: ruleDetail[RuleIdentifierHeader],
			})
		}
		states[c] = columnState{transformed: cols[c].Transformed, role: cols[c].Role, ctx: headerContext(t.Header[c]),
			personName: cols[c].Role == RolePersonName}
	}
	// Rows outside, columns inside: the cells are visited in memory order.
	var sc scanner
	for r, row := range t.Rows {
		if r%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("gate: scan data row %d: %w", r+1, err)
			}
		}
		for c, cell := range row {
			if cell == "" {
				continue
			}
			st := &states[c]
			if st.transformed {
				if !transformedForm(st.role, cell) {
					st.badForm.add(r + 1)
				}
				continue
			}
			st.scanCell(&sc, cell, r+1)
		}
	}
	for c := range states {
		rep.Findings = append(rep.Findings, states[c].findings(names[c])...)
	}
	if f, ok := smallGroups(t.Rows, qi, names, k); ok {
		rep.Findings = append(rep.Findings, f)
	}
	rep.Passed = len(rep.Findings) == 0
	return rep, nil
}

// columnState accumulates the content rules' results for one column.
type columnState struct {
	transformed bool   // declared as transformed: checked for the output form, not scanned
	role        string // declared role
	badForm     tally  // transformed cells not in the transform's output form
	ctx         cellContext
	personName  bool // every value that is not a pseudonym is a name (a DICOM PN attribute)
	tallies     [numContentRules]tally
	tenInvalid  tally // cells with a 10-digit token failing the check, no keyword
	validWhole  int   // cells that are exactly one valid NHS number
	nonEmpty    int
	// bare counts the cells that are one bare digit string, by length, and phoneBare
	// the phone numbers among them: a column of same-length digit strings that
	// mostly fail the numbering plan is an id column (lab sample numbers), and the
	// few that happen to fit the plan are ids too (idColumnPhones).
	bare      map[int]int
	phoneBare map[int]*tally
}

func (st *columnState) scanCell(sc *scanner, cell string, row int) {
	st.nonEmpty++
	if ValidNHSNumber(cell) {
		st.validWhole++
	}
	sc.scan(cell, st.ctx)
	bareLen := 0
	if isBareDigits(cell) {
		bareLen = len(cell)
		if st.bare == nil {
			st.bare, st.phoneBare = map[int]int{}, map[int]*tally{}
		}
		st.bare[bareLen]++
	}
	var seen [numContentRules]bool
	for _, m := range sc.matches {
		idx := ruleIndex[m.Rule]
		if seen[idx] {
			continue
		}
		seen[idx] = true
		if m.Rule == RulePhone && bareLen > 0 {
			if st.phoneBare[bareLen] == nil {
				st.phoneBare[bareLen] = &tally{}
			}
			st.phoneBare[bareLen].add(row)
			continue
		}
		st.tallies[idx].add(row)
	}
	if name := ruleIndex[RuleName]; st.personName && !seen[name] && !isPseudonym(cell) {
		st.tallies[name].add(row)
	}
	if sc.tenInvalid {
		st.tenInvalid.add(row)
	}
}

// findings turns the column's tallies into findings, in rule order. A column
// where most values are valid NHS numbers is an NHS number column: its
// 10-digit values failing the check count as NHS numbers too.
func (st *columnState) findings(name string) []Finding {
	st.idColumnPhones()
	var out []Finding
	if st.badForm.count > 0 {
		out = append(out, st.badForm.finding(RuleTransformOutput, name, ruleDetail[RuleTransformOutput]))
	}
	for idx, rule := range contentRules {
		if st.tallies[idx].count > 0 {
			out = append(out, st.tallies[idx].finding(rule, name, ruleDetail[rule]))
		}
	}
	if st.nonEmpty > 0 && 2*st.validWhole > st.nonEmpty {
		f := Finding{Rule: RuleNHSColumn, Column: name, Count: st.validWhole + st.tenInvalid.count,
			Rows: st.tenInvalid.rows, Detail: ruleDetail[RuleNHSColumn]}
		if st.tenInvalid.count > 0 {
			f.Detail += fmt.Sprintf("; %d further 10-digit values fail the check and are treated as NHS numbers", st.tenInvalid.count)
		}
		out = append(out, f)
	}
	return out
}

// idColumnPhones folds the phone numbers found in bare digit cells into the phone
// tally, except in an id column: at least 90% of its values bare digit strings of one
// length, fewer than half of which fit the numbering plan. Real phone numbers stored
// as bare digits fit it (nearly) all; phone numbers written any other way, or in
// free text, are never discounted.
func (st *columnState) idColumnPhones() {
	phone := &st.tallies[ruleIndex[RulePhone]]
	for _, length := range slices.Sorted(maps.Keys(st.phoneBare)) {
		found := st.phoneBare[length]
		if cells := st.bare[length]; 10*cells >= 9*st.nonEmpty && 2*found.count < cells {
			continue
		}
		phone.count += found.count
		phone.rows = append(phone.rows, found.rows...)
	}
	slices.Sort(phone.rows)
	if len(phone.rows) > maxReportedRows {
		phone.rows = phone.rows[:maxReportedRows]
	}
	st.phoneBare = nil
}

// isBareDigits reports whether cell is one digit string and nothing else.
func isBareDigits(cell string) bool {
	for i := 0; i < len(cell); i++ {
		if !isDigit(cell[i]) {
			return false
		}
	}
	return cell != ""
}

// headerContext is what a column header says about its cells.
func headerContext(h string) cellContext {
	return cellContext{
		nhs: strings.Contains(strings.ToLower(h), "nhs"),
		dob: headerMentions(h, "dob", "birth", "born", "birthdate", "dateofbirth"),
	}
}

// ruleIndex numbers the content rules in report order.
var ruleIndex = func() map[string]int {
	m := make(map[string]int, len(contentRules))
	for i, r := range contentRules {
		m[r] = i
	}
	return m
}()

// safeColumnNames returns the names the report may use for each column. A
// header cell that itself holds an identifier (a headerless file whose first
// row is data) is reported as "column N", with a finding per rule. The header
// is scanned in its own context, so anything found in a cell through that
// context is also found in the header.
func safeColumnNames(header []string) ([]string, []Finding) {
	names := make([]string, len(header))
	var out []Finding
	var sc scanner
	for c, h := range header {
		names[c] = h
		sc.scan(h, headerContext(h))
		if len(sc.matches) == 0 {
			continue
		}
		names[c] = fmt.Sprintf("column %d", c+1)
		seen := map[string]bool{}
		for _, m := range sc.matches {
			if !seen[m.Rule] {
				seen[m.Rule] = true
				out = append(out, Finding{Rule: m.Rule, Column: names[c], Count: 1,
					Detail: ruleDetail[m.Rule] + " (in the header row)"})
			}
		}
	}
	return names, out
}
