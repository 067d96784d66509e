// Package dicom reads DICOM image files for training and de-identifies them
// by the Basic Application Level Confidentiality Profile of DICOM PS3.15
// Annex E before anything else sees them.
//
// The parsing and writing of the format is github.com/suyashkumar/dicom's;
// this package adds what an ingest door needs around it: a structural scan
// (scan.go) that checks every length against the file before the library
// allocates anything, a refusal by name of transfer syntaxes we cannot
// decode, the profile's table of actions (profile.go) applied with keyed
// UID remapping and per-patient date shifts, and the conversion of the first
// frame to [0,1] float32 pixels.
//
// Patient-identifying values never appear in errors: an error names the file
// (a path the data controller chose), the tag and lengths, never a value.
package dicom
