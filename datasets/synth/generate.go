package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// ReferenceDate is the date ages are reckoned from; the ingest spec uses the
// same date so that age bands are reproducible.
var ReferenceDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	minAge = 40
	maxAge = 94 // inclusive: bands 40-44 … 85-89 and 90+ are all five years wide
)

// Districts are the postcode districts patients live in. Few districts keep
// every age band × sex × district group at 10 or more records once n ≥ 2000.
var Districts = []string{"LS6", "LS7", "LS8"}

// Sites are the hospital sites.
var Sites = []string{"Hospital A", "Hospital B", "Hospital C"}

// Header is the column layout of Generate's records.
var Header = []string{
	"nhs_number", "given_name", "family_name", "date_of_birth", "sex", "ethnicity",
	"postcode", "site", "admission_date", "notes",
	"crp", "wbc", "lactate", "heart_rate", "resp_rate", "temperature", "systolic_bp",
	"sepsis",
}

// feature describes one lab feature: its value from a standard-normal z and
// its weight in the logistic model of the label.
type feature struct {
	weight float64
	value  func(z float64) string
}

// features are in Header order after the notes column.
var features = []feature{
	{1.1, func(z float64) string { return fmt.Sprintf("%.1f", math.Exp(3.0+0.9*z)) }},           // CRP mg/L, log-normal
	{0.3, func(z float64) string { return fmt.Sprintf("%.1f", math.Max(0.5, 9+3.5*z)) }},        // WBC 10^9/L
	{0.8, func(z float64) string { return fmt.Sprintf("%.2f", math.Exp(0.4+0.5*z)) }},           // lactate mmol/L
	{0.7, func(z float64) string { return fmt.Sprintf("%d", int(math.Round(90+18*z))) }},        // heart rate /min
	{0.6, func(z float64) string { return fmt.Sprintf("%d", max(8, int(math.Round(18+4*z)))) }}, // resp rate /min
	{0.5, func(z float64) string { return fmt.Sprintf("%.1f", 37.2+0.8*z) }},                    // temperature °C
	{-0.6, func(z float64) string { return fmt.Sprintf("%d", int(math.Round(120+20*z))) }},      // systolic BP mmHg
}

// intercept sets the prevalence of the label to roughly 30%.
const intercept = -1.2

// Generate returns n synthetic raw patient records. The same (n, seed)
// always gives the same records.
func Generate(n int, seed uint64) ([]string, [][]string) {
	g := &generator{
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		used: make(map[string]bool, n),
	}
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = g.record()
	}
	header := append([]string(nil), Header...)
	return header, rows
}

type generator struct {
	rng  *rand.Rand
	used map[string]bool // NHS numbers handed out
}

func (g *generator) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *generator) record() []string {
	female := g.rng.IntN(2) == 0
	sex, given := "M", g.pick(maleNames)
	if female {
		sex, given = "F", g.pick(femaleNames)
	}
	family := g.pick(familyNames)
	nhs := g.nhsNumber()
	dob := g.dateOfBirth()
	postcode := g.postcode()
	admitted := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.rng.IntN(731))
	row := []string{
		g.formatNHS(nhs), given, family, g.formatDate(dob), sex, g.ethnicity(),
		postcode, g.pick(Sites), admitted.Format("2006-01-02"), "",
	}
	logit := intercept
	for _, f := range features {
		z := g.rng.NormFloat64()
		logit += f.weight * z
		row = append(row, f.value(z))
	}
	label := "0"
	if g.rng.Float64() < 1/(1+math.Exp(-logit)) {
		label = "1"
	}
	row = append(row, label)
	row[9] = g.note(nhs, given, family, dob, postcode)
	return row
}

// nhsNumber returns a new valid NHS number in the 999 test range.
func (g *generator) nhsNumber() string {
	for {
		var d [10]int
		d[0], d[1], d[2] = 9, 9, 9
		sum := 9*10 + 9*9 + 9*8
		for i := 3; i < 9; i++ {
			d[i] = g.rng.IntN(10)
			sum += d[i] * (10 - i)
		}
		check := 11 - sum%11
		if check == 10 {
			continue
		}
		if check == 11 {
			check = 0
		}
		d[9] = check
		var b strings.Builder
		for _, x := range d {
			b.WriteByte(byte('0' + x))
		}
		s := b.String()
		if s == "9999999999" || g.used[s] {
			continue
		}
		g.used[s] = true
		return s
	}
}

// formatNHS writes the number as ten digits or, for a third of records, in
// 3-3-4 groups.
func (g *generator) formatNHS(s string) string {
	if g.rng.IntN(3) == 0 {
		return s[:3] + " " + s[3:6] + " " + s[6:]
	}
	return s
}

// dateOfBirth is uniform over the days that give an age of minAge to maxAge
// on ReferenceDate.
func (g *generator) dateOfBirth() time.Time {
	latest := ReferenceDate.AddDate(-minAge, 0, 0)
	earliest := ReferenceDate.AddDate(-(maxAge + 1), 0, 1)
	days := int(latest.Sub(earliest).Hours() / 24)
	return earliest.AddDate(0, 0, g.rng.IntN(days+1))
}

// formatDate writes ISO dates, and UK day-first dates for a quarter of records.
func (g *generator) formatDate(t time.Time) string {
	if g.rng.IntN(4) == 0 {
		return t.Format("02/01/2006")
	}
	return t.Format("2006-01-02")
}

// inwardLetters are the letters the Royal Mail uses in inward codes.
const inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"

func (g *generator) postcode() string {
	pc := fmt.Sprintf("%s %d%c%c", g.pick(Districts), 1+g.rng.IntN(9),
		inwardLetters[g.rng.IntN(len(inwardLetters))], inwardLetters[g.rng.IntN(len(inwardLetters))])
	if g.rng.IntN(20) == 0 {
		return strings.ToLower(pc)
	}
	return pc
}

func (g *generator) ethnicity() string {
	u := g.rng.Float64()
	total := 0.0
	for _, e := range ethnicities {
		total += e.weight
	}
	u *= total
	for _, e := range ethnicities {
		if u < e.weight {
			return e.label
		}
		u -= e.weight
	}
	return ethnicities[len(ethnicities)-1].label
}

// noteTemplates are free-text fragments; %[1]s NHS number, %[2]s given
// name, %[3]s family name, %[4]s date of birth, %[5]s postcode, %[6]s phone.
var noteTemplates = []string{
	"Admitted via ED with fever and rigors.",
	"Obs stable overnight; for review on ward round.",
	"Bloods and cultures sent, IV antibiotics started.",
	"Known COPD, on home oxygen 2L.",
	"Tolerating diet, mobilising with frame.",
	"NHS No %[1]s confirmed at triage.",
	"%[2]s %[3]s seen by SHO, bloods sent.",
	"Pt %[2]s reports shortness of breath.",
	"DOB %[4]s checked with patient.",
	"Lives at %[5]s with daughter.",
	"NOK tel %[6]s.",
}

// note joins one to three fragments; about half of notes repeat an
// identifier, as real notes do.
func (g *generator) note(nhs, given, family string, dob time.Time, postcode string) string {
	phone := fmt.Sprintf("07700 900%03d", g.rng.IntN(1000))
	parts := make([]string, 1+g.rng.IntN(3))
	for i := range parts {
		t := noteTemplates[g.rng.IntN(len(noteTemplates))]
		nhsText := nhs
		if g.rng.IntN(2) == 0 {
			nhsText = nhs[:3] + " " + nhs[3:6] + " " + nhs[6:]
		}
		if !strings.Contains(t, "%") {
			parts[i] = t // Sprintf would append the unused arguments
			continue
		}
		parts[i] = fmt.Sprintf(t, nhsText, given, family, dob.Format("02/01/2006"), postcode, phone)
	}
	return strings.Join(parts, " ")
}
