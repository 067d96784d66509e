// Package validator is everything that consumes committed checkpoints: it opens a
// checkpoint with the held-out data of its dataset, walks the lineage the manifests
// record, replays training between checkpoints bit for bit, evaluates a checkpoint
// with clinical metrics, exports it to ONNX checked against ONNX Runtime, and releases
// it signed to trusts.
//
// It reads what training wrote (trainer/checkpoint, the store, the ledger) and runs
// the native engine (trainer/loop) only to replay; it never trains anything that is
// kept. Only cmd imports it.
package validator
