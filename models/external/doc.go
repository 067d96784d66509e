// Package external is a trust's external validation of a released model on its own
// patients, offline from a pulled, verified release: it maps the trust's columns to the
// card's inputs, runs the model through ONNX Runtime, and reports the clinical metrics
// beside the card's development figures, the dataset shift against the distribution the
// card records, and requirements a deployment pipeline can gate on. Everything it
// reports is an aggregate: each count is 0 or at least the trust's floor, each rate and
// AUROC comes from groups at least that large, and no row's value leaves it — not in the
// report, its errors or its output.
package external
