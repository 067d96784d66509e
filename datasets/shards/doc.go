// Package shards stores a de-identified dataset in object storage and reads
// it back for training.
//
// A dataset is a set of shards plus a manifest. A shard is a safetensors
// file holding a contiguous run of one split's records: "features" float32
// [n, …], "labels" int32 [n], "row_ids" int64 [n] (each record's position
// in its split) and one "subgroup.<name>" int32 [n] tensor of codes per
// subgroup attribute kept for evaluation. Shards are named by the SHA-256
// of their bytes and uploaded with storage.PutBlob.
//
// The manifest (JSON, canonical encoding: encoding/json's compact output of
// the Manifest struct, whose field order is fixed) records the schema,
// column roles and transforms, the anonymisation gate's report, the
// train/validation/test split with every shard's hash, size, record and
// label counts, feature statistics of the training split, the subgroup code
// tables and the source's hash. Its own name is the SHA-256 of its
// canonical bytes; it is stored as a blob under that name.
//
// The Loader gives each rank of a data-parallel job a disjoint,
// deterministic part of every epoch and fetches shards in the background;
// see Loader for the exact order.
package shards
