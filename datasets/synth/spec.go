package synth

import (
	"fmt"

	"github.com/dxtrain/dxtrain/datasets/deid"
)

// IngestSpecYAML declares the roles of Generate's columns so that the
// de-identified records pass the gate: identifiers dropped or pseudonymised,
// date of birth → age band, postcode → district, admission date → month,
// notes dropped, sex a quasi-identifier (with age band and district: 11 × 2 × 3
// = 66 groups of about n/66 records; n ≥ 2000 keeps every group at 10 or more,
// see TestGroupSizes), ethnicity and site kept as subgroups for evaluation. It is shipped as
// testdata/synth-ingest.yaml too.
const IngestSpecYAML = `# Ingest spec for the synthetic patients of datasets/synth.
name: synth-patients
description: Synthetic patients (datasets/synth) with a sepsis label
input:
  path: synth-patients.csv
  format: csv
label:
  column: sepsis
  classes: ["0", "1"]
k: 10
reference_date: 2026-01-01
columns:
  nhs_number: {role: identifier, action: pseudonymise, output: patient_key}
  given_name: {role: identifier, action: drop}
  family_name: {role: identifier, action: drop}
  date_of_birth: {role: date_of_birth, output: age_band}
  sex: {role: subgroup, quasi_identifier: true}
  ethnicity: subgroup
  postcode: {role: postcode, output: district}
  site: subgroup
  admission_date: {role: event_date, output: admission_month}
  notes: free_text
  crp: feature
  wbc: feature
  lactate: feature
  heart_rate: feature
  resp_rate: feature
  temperature: feature
  systolic_bp: feature
  sepsis: label
`

// Spec returns the parsed ingest spec for Generate's records.
func Spec() (*deid.IngestSpec, error) {
	s, err := deid.ParseIngestSpec([]byte(IngestSpecYAML))
	if err != nil {
		return nil, fmt.Errorf("synth ingest spec: %w", err)
	}
	return s, nil
}
