// Package datasets turns labelled data files into the arrays the trainer uses:
// it reads tabular CSV (a label column and numeric feature columns) into a
// row-major float32 matrix and int32 class indices, splits rows into
// train/validation/test deterministically and stratified by class from a seed,
// and fits feature standardisation on the training rows only.
//
// Errors say which file, line and column is wrong and why, but never repeat the
// offending cell value: a cell in a clinical dataset may identify a patient.
//
// The package takes plain option structs, not the experiment spec, so it does
// not depend on the experiments package. Sub-packages (other readers, the
// anonymisation gate, shards and manifests) build on it.
package datasets
