// Package synth generates synthetic data for tests, the demo and the examples.
//
// Generate makes raw patient records that carry every kind of direct identifier
// the anonymisation gate looks for (valid NHS numbers, names, dates of birth,
// full postcodes, phone numbers and free-text notes that repeat them),
// demographic columns, numeric lab features and a diagnostic label that depends
// on the features through a logistic model, so a classifier can learn it.
//
// GenerateLesions makes grayscale skin-lesion patches, benign or malignant,
// for the image examples: malignant lesions tend to have irregular borders,
// dark globules and an off-centre darker region, each cue overlapping between
// the classes, while size, position, contrast, skin tone, illumination, noise
// and hairs are drawn alike for both. WriteLesions stores them as MNIST-style
// IDX with an ingest spec the gate accepts.
//
// Nothing here is a real person. NHS numbers are drawn from the 999 range
// reserved for testing, and phone numbers from Ofcom's drama ranges.
// Generation is deterministic in (n, seed).
package synth
