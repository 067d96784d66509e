// Package dicomtest writes realistic synthetic DICOM corpora for tests:
// patients with studies, series and small images in every pixel format the
// reader supports, identifying values in every PS3.15 Annex E attribute a
// PACS export fills (NHS numbers that pass the modulus 11 check, names,
// birth dates, addresses, postcodes, telephone numbers, accession numbers,
// institutions, physicians, device serials, UIDs, private tags), a labels
// CSV keyed by the original PatientID, non-DICOM files and optionally a
// DICOMDIR. Truth returns what was written, so tests can look for every
// identifying string in the output and check pixels against the values
// written.
package dicomtest
