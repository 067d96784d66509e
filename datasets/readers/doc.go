// Package readers decodes image datasets into the arrays the shard writer
// takes: IDX files (the MNIST format, optionally gzipped) and NPZ archives in
// the MedMNIST layout. Images come out as float32 [n, c, h, w] scaled to
// [0, 1] and labels as int32 class indices.
//
// Both readers treat their input as hostile: every size is checked against
// the bytes actually present and against fixed limits before anything is
// allocated, so a corrupt or malicious file gives an error, never a panic or
// an allocation larger than the input could describe.
package readers
