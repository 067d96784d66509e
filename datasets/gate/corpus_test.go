package gate

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// corpusEntry is one labelled cell of the detection corpus. want lists the
// rules that should fire; miss lists those of them the gate is known not to
// catch (they count as false negatives in the table and are asserted to stay
// missed, so a change in behaviour shows up here).
type corpusEntry struct {
	text string
	want []string
	miss []string
}

const (
	nhs  = RuleNHSNumber
	nhsK = RuleNHSKeyword
	pc   = RulePostcode
	dob  = RuleDateOfBirth
	date = RuleFullDate
	name = RuleName
	mail = RuleEmail
	tel  = RulePhone
)

// detectionCorpus holds positives for every content rule and decoys that
// must not fire: decimal measurements, 10-digit numbers failing the check with
// no NHS keyword, postcode districts alone, months, ratios, eponyms.
var detectionCorpus = []corpusEntry{
	// NHS numbers passing Modulus 11, in every layout and inside text.
	{text: "9434765919", want: []string{nhs}},
	{text: "943 476 5919", want: []string{nhs}},
	{text: "943-476-5919", want: []string{nhs}},
	{text: "Patient 401 023 2137 attended clinic", want: []string{nhs}},
	{text: "ref:6541003238;", want: []string{nhs}},
	{text: "(654 100 3238)", want: []string{nhs}},
	{text: "Seen in ED, number 4010232137 on wristband", want: []string{nhs}},
	// 10-digit tokens beside an NHS keyword, valid or not.
	{text: "NHS No: 943 476 5918", want: []string{nhsK}},
	{text: "NHS number 9991234560", want: []string{nhsK}},
	{text: "nhs no. 1234567890", want: []string{nhsK}},
	{text: "0000000000 (NHS)", want: []string{nhsK}},
	{text: "NHS: 0000000000", want: []string{nhsK}},
	{text: "NHS No 999 123 4567 confirmed at triage", want: []string{nhsK}},
	{text: "943-476-5918 (NHS number)", want: []string{nhsK}},
	{text: "NHS: 943-476-5919", want: []string{nhs}},
	// NHS decoys.
	{text: "12.3456789012"},
	{text: "9434765918"},
	{text: "Sample 9991234560 processed"},
	{text: "Batch 1234567890"},
	{text: "0.9434765919"},
	{text: "94347659190"},
	{text: "0000000000"},
	{text: "NHS Trust audit of 42 cases"},
	{text: "Weight 9434765919.5 ug"},
	{text: "Specimen 943-476-5918 received"},
	{text: "Total 12,3456789012"},
	// Full postcodes.
	{text: "LS1 4AB", want: []string{pc}},
	{text: "SW1A 1AA", want: []string{pc}},
	{text: "M1 1AE", want: []string{pc}},
	{text: "B33 8TH", want: []string{pc}},
	{text: "CR2 6XH", want: []string{pc}},
	{text: "DN55 1PT", want: []string{pc}},
	{text: "EC1A 1BB", want: []string{pc}},
	{text: "W1A 0AX", want: []string{pc}},
	{text: "GIR 0AA", want: []string{pc}},
	{text: "ls6 2ab", want: []string{pc}},
	{text: "SW1A1AA", want: []string{pc}},
	{text: "Lives off Hyde Park Rd, Leeds LS6 1AB.", want: []string{pc}},
	// Postcode decoys: districts alone and look-alikes.
	{text: "LS1"},
	{text: "SW1A"},
	{text: "District LS6 only"},
	{text: "B12 deficiency"},
	{text: "T2 DM, HbA1c 48"},
	{text: "CD4 count 350"},
	{text: "Q3 2024"},
	{text: "Hb 9.8 g/dL"},
	// Full dates; date-of-birth context.
	{text: "1975-03-12", want: []string{date}},
	{text: "12/03/1975", want: []string{date}},
	{text: "12.03.1975", want: []string{date}},
	{text: "3 March 1975", want: []string{date}},
	{text: "3rd Mar 1975", want: []string{date}},
	{text: "03-Mar-75", want: []string{date}},
	{text: "March 3, 1975", want: []string{date}},
	{text: "Admitted 2024-11-02T14:30", want: []string{date}},
	{text: "seen 05/11/24", want: []string{date}},
	{text: "DOB 12/03/1975", want: []string{dob}},
	{text: "born 3 March 1975", want: []string{dob}},
	{text: "Date of birth: 1975-03-12", want: []string{dob}},
	{text: "d.o.b. twelfth of March 1975", want: []string{dob}, miss: []string{dob}},
	// Date decoys.
	{text: "2024-03"},
	{text: "03/2024"},
	{text: "1975"},
	{text: "BP 120/80"},
	{text: "version 1.2.3"},
	{text: "10.0.0.1"},
	{text: "40-44"},
	{text: "2024-13-45"},
	{text: "pH 7.35"},
	{text: "May 2024"},
	// Names.
	{text: "Sarah", want: []string{name}},
	{text: "Seen with Sarah Patel today", want: []string{name}},
	{text: "Mr Smith reviewed", want: []string{name}},
	{text: "Dr Khan on call", want: []string{name}},
	{text: "Smith's daughter called", want: []string{name}},
	{text: "Letter to Mrs Begum", want: []string{name}},
	{text: "McDonald", want: []string{name}},
	{text: "JOHN SMITH", want: []string{name}},
	{text: "Seen by Zbigniew Brzeczyszczykiewicz", want: []string{name}, miss: []string{name}},
	{text: "Mrs White called", want: []string{name}},
	{text: "Fred Bloggs", want: []string{name}},
	{text: "Patient Grace Brown reviewed", want: []string{name}},
	{text: "Reviewed by Hunter, plan agreed", want: []string{name}},
	{text: "Seen by Dr Okonkwo in clinic", want: []string{name}},
	{text: "Nurse Hope gave the dose", want: []string{name}},
	{text: "Signed: Amber Lowe", want: []string{name}},
	{text: "DR ADEYEMI ON CALL", want: []string{name}},
	// Name decoys: eponyms, places, words.
	{text: "Parkinson's disease"},
	{text: "Crohn's disease, Addison's crisis"},
	{text: "Down syndrome; Turner syndrome"},
	{text: "Wilson's disease, Graves disease, Bell's palsy"},
	{text: "Transferred to St James's"},
	{text: "St Mary's ward"},
	{text: "Grace period; Will review"},
	{text: "Mark on skin. Hope to discharge. Rose in CRP."},
	{text: "Patient Reported Outcome Measures completed"},
	{text: "Seen by the team; reviewed by Cardiology"},
	{text: "Amber warning; Crystal clear fluid; Chance finding"},
	{text: "Patient May return in Spring"},
	{text: "DNA CPR ECG MRI CT"},
	// Email addresses.
	{text: "sarah.patel@nhs.net", want: []string{mail}},
	{text: "Contact: j.smith99@example.co.uk.", want: []string{mail}},
	{text: "x@y.io", want: []string{mail}},
	{text: "Sarah.Patel@example.org", want: []string{mail}},
	// Email decoys.
	{text: "@home"},
	{text: "ratio 2@3"},
	{text: "user@localhost"},
	{text: "Tweet @NHSEngland"},
	// UK phone numbers.
	{text: "07700 900123", want: []string{tel}},
	{text: "+44 7700 900123", want: []string{tel}},
	{text: "+447700900123", want: []string{tel}},
	{text: "0113 496 0000", want: []string{tel}},
	{text: "(0113) 496 0000", want: []string{tel}},
	{text: "020 7946 0000", want: []string{tel}},
	{text: "+44 (0)113 496 0000", want: []string{tel}},
	{text: "01632 960123", want: []string{tel}},
	{text: "07700-900-123", want: []string{tel}},
	{text: "Tel 07700 900123 for next of kin", want: []string{tel}},
	{text: "0044 7700 900123", want: []string{tel}},
	{text: "00447700900123", want: []string{tel}},
	{text: "020-7946-0000", want: []string{tel}},
	{text: "01204 12345", want: []string{tel}},   // Bolton: five-digit local numbers
	{text: "016977 4321", want: []string{tel}},   // Brampton: four-digit local numbers
	{text: "0300 123 4567", want: []string{tel}}, // 03: non-geographic, charged as geographic
	{text: "NOK: +44 20 7946 0000 (daughter)", want: []string{tel}},
	// Phone decoys.
	{text: "0112345678"},        // a 10-digit lab sample id: 011 areas have seven-digit locals
	{text: "Sample 0198765432"}, // 0198 is no five-digit-local area
	{text: "Specimen 0145 678 901"},
	{text: "0.0113"},
	{text: "Platelets 150"},
	{text: "07700"},
	{text: "Ref 0123456"},
	{text: "Code 02079460000123"},
	// Several identifiers in one note.
	{
		text: "NHS No 999 123 4567. Sarah Patel, LS6 2AB, tel 07700 900123, DOB 1975-03-12, sarah@example.com",
		want: []string{nhsK, name, pc, tel, dob, mail},
	},
}

// ruleCounts is one row of the detection table.
type ruleCounts struct{ tp, fp, fn, decoys int }

func TestDetectionCorpus(t *testing.T) {
	table := map[string]*ruleCounts{}
	for _, r := range contentRules {
		table[r] = &ruleCounts{}
	}
	for _, e := range detectionCorpus {
		t.Run(e.text, func(t *testing.T) {
			got := map[string]bool{}
			for _, m := range ScanCell(e.text) {
				got[m.Rule] = true
			}
			for _, r := range contentRules {
				wanted := slices.Contains(e.want, r)
				missed := slices.Contains(e.miss, r)
				c := table[r]
				switch {
				case wanted && got[r]:
					c.tp++
				case wanted:
					c.fn++
				case got[r]:
					c.fp++
				default:
					c.decoys++
				}
				if expect := wanted && !missed; got[r] != expect {
					t.Errorf("rule %s: detected=%v, want %v", r, got[r], expect)
				}
			}
		})
	}
	t.Log("\n" + detectionTable(table))
}

func detectionTable(table map[string]*ruleCounts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "gate detection on its test corpus (%d cells)\n", len(detectionCorpus))
	fmt.Fprintf(&b, "%-20s %5s %5s %5s %8s %9s %7s\n", "rule", "TP", "FN", "FP", "negatives", "precision", "recall")
	var tot ruleCounts
	for _, r := range contentRules {
		c := table[r]
		fmt.Fprintf(&b, "%-20s %5d %5d %5d %8d %9s %7s\n", r, c.tp, c.fn, c.fp, c.decoys, ratio(c.tp, c.tp+c.fp), ratio(c.tp, c.tp+c.fn))
		tot.tp += c.tp
		tot.fp += c.fp
		tot.fn += c.fn
		tot.decoys += c.decoys
	}
	fmt.Fprintf(&b, "%-20s %5d %5d %5d %8d %9s %7s\n", "all", tot.tp, tot.fn, tot.fp, tot.decoys, ratio(tot.tp, tot.tp+tot.fp), ratio(tot.tp, tot.tp+tot.fn))
	return b.String()
}

func ratio(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}
