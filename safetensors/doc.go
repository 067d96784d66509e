// Package safetensors reads and writes the safetensors tensor file format: an
// 8-byte little-endian header length, a JSON header that maps each tensor name to
// its dtype, shape and byte range ({"name": {"dtype", "shape", "data_offsets"}},
// plus an optional "__metadata__" map of strings), then the raw little-endian
// tensor bytes.
//
// dxtrain stores dataset shards, model parameters and optimizer state in this
// format because it is simple, has no code execution on load and is read by the
// wider ML tool chain. Encoding is deterministic (tensors sorted by name, sorted
// header keys, header padded with spaces to a multiple of 8 as the reference
// implementation does), so equal tensors always give equal bytes and equal
// SHA-256 hashes. Decoding is strict: the header must describe the data buffer
// exactly, with no overlaps, gaps, unknown dtypes or size mismatches.
//
// The package is a leaf: it imports only the standard library.
package safetensors
