// Package gate is the anonymisation gate: it scans a table of string cells for
// direct identifiers (NHS numbers, full UK postcodes, full dates and dates of
// birth, names, email addresses, UK phone numbers, identifying column headers)
// and checks that every combination of the declared quasi-identifiers is
// shared by at least k records. Columns declared as transformed are not
// scanned; their values must have the form the transform produces (pseudonym,
// age band, year-month, postcode district). One failed rule refuses the whole
// dataset.
//
// Image files' text attributes (DICOM data elements) are gated as a table with
// one column per attribute and one row per file (attributes.go); files whose
// pixels may carry burned-in text are refused by their own rules (pixels.go).
//
// The report names the rule, the column, a count and a few row numbers. It
// never holds an identifying value: detectors return byte spans, and only
// constant descriptions, column names (themselves scanned) and numbers reach
// the report, its summary or an error.
//
// Detectors are hand-written byte scanners that look at a bounded window from
// each token start, so a cell is scanned in linear time whatever its length.
package gate
