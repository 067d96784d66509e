// Package deid holds the ingest spec and the de-identification transforms
// that run before the anonymisation gate.
//
// The ingest spec (YAML) gives every input column a role. Apply then drops
// identifiers or replaces them with keyed HMAC-SHA256 pseudonyms, turns dates
// of birth into 5-year age bands (90+ top-coded) relative to the spec's
// reference date, event dates into months and full postcodes into their
// outward code (district), drops free text unless it is explicitly allowed,
// and returns the table and column declarations that the gate checks.
//
// DICOM input (format: dicom) has no columns: its dicom section says how
// package dicom de-identifies each file (dates shifted or reduced to the year,
// private tags kept), the size images are resized to, which modalities are
// refused for burned-in text unless acknowledged, where labels come from (an
// attribute, or a CSV keyed by the original PatientID and pseudonymised with the
// ingest key as it is read), and which attributes are quasi-identifiers and
// subgroups.
//
// No cell value ever appears in an error: errors name the row and the
// column. The pseudonymisation key never appears in a log, an error, a
// report or a manifest.
package deid
