package structs

// Dataset is a registered dataset: a manifest and the shards it names (records only;
// the bytes live in object storage).
type Dataset struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	ManifestHash string   `json:"manifest_hash"`
	BlobHashes   []string `json:"blob_hashes"`
	CreatedAt    int64    `json:"created_at"`
	CreateIndex  uint64   `json:"create_index"`
	ModifyIndex  uint64   `json:"modify_index"`
}

// Copy returns a deep copy.
func (d *Dataset) Copy() *Dataset {
	c := *d
	c.BlobHashes = append([]string(nil), d.BlobHashes...)
	return &c
}

// DatasetRegisterRequest registers a dataset. Names are unique.
type DatasetRegisterRequest struct {
	WriteRequest
	Dataset Dataset `json:"dataset"`
}
