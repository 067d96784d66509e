package deid

// validSpecYAML declares one column of every role.
const validSpecYAML = `name: ward-obs
description: Ward observations
input:
  path: obs.csv
  format: csv
label:
  column: outcome
  classes: ["0", "1"]
k: 12
reference_date: 2026-01-01
key_file: /secure/hmac.key
columns:
  nhs_number: {role: identifier, action: pseudonymise, output: patient_key}
  full_name: {role: identifier, action: drop}
  dob: {role: date_of_birth, output: age_band}
  admitted: {role: event_date, output: admitted_month}
  postcode: {role: postcode, output: district}
  sex: {role: subgroup, quasi_identifier: true}
  ethnicity: subgroup
  site: quasi_identifier
  notes: free_text
  summary: {role: free_text, allow: true}
  crp: feature
  internal_ref: drop
  outcome: label
`
