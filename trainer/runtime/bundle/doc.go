// Package bundle turns a researcher's code directory into a content-addressed blob and
// back. The CLI packs the directory once, uploads it under its SHA-256, and records that
// hash in the experiment; every agent fetches the same bytes, checks the hash while
// reading, and unpacks them into the attempt's work directory. The hash therefore names
// exactly the code that ran, and it goes into every checkpoint manifest and release.
//
// Packing is deterministic so that packing an unchanged directory twice gives the same
// hash: entries in path order, fixed times, owners and modes, a fixed gzip level and no
// gzip name or time. (The bytes are the same for the same Go release; a later release's
// compressor may emit different bytes for the same files, which only means a new hash.)
//
// Unpacking treats the input as hostile, since anyone able to write to the store can
// upload a blob under the hash of their own bytes: only regular files and directories,
// only local paths, no duplicates, and caps on the bytes and entries written.
package bundle
