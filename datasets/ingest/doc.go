// Package ingest is the door through which patient data enters the
// cluster: it reads raw input (CSV, IDX, MedMNIST NPZ or a tree of DICOM
// files), applies the ingest spec's de-identification, runs the anonymisation
// gate, and only if the gate passes converts, splits, shards and uploads the
// data and its manifest, then hands the manifest to a Registrar to commit.
//
// A refused dataset uploads nothing. A failure after the first upload, the
// registration included, deletes the shards and manifest this ingest
// uploaded, so nothing is left registered or dangling. Errors and logs name
// columns, lines and rules, never a cell value.
package ingest
