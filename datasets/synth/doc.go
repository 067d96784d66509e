// Package synth generates synthetic patient records for tests and the demo:
// raw records that carry every kind of direct identifier the anonymisation
// gate looks for (valid NHS numbers, names, dates of birth, full postcodes,
// phone numbers and free-text notes that repeat them), demographic columns,
// numeric lab features and a diagnostic label that depends on the features
// through a logistic model, so a classifier can learn it.
//
// Nothing here is a real person. NHS numbers are drawn from the 999 range
// reserved for testing, and phone numbers from Ofcom's drama ranges.
// Generation is deterministic in (n, seed).
package synth
