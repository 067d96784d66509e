// Package release is the trust-side and approver-side half of a model release: the
// model card, the provenance statement an approver signs with an ed25519 key, the
// release directory a trust keeps (model.onnx, card.json, statement.json,
// statement.sig), and the offline check that nothing in it was altered.
//
// What is signed is the exact bytes of statement.json, in the canonical form
// Statement.Encode writes. The statement binds the other files by SHA-256, so one
// signature covers the ONNX model and the card. Verification never needs the network:
// the approver's public key and the four files are enough.
package release
