package coordinator

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dxtrain/dxtrain/storage"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func (s *Server) datasetRoutes() []route {
	readers := []string{structs.RoleResearcher, structs.RoleValidator, structs.RoleAgent}
	return []route{
		{"POST /v1/datasets", kindWrite, []string{structs.RoleResearcher}, s.registerDatasetEndpoint},
		{"GET /v1/datasets", kindRead, readers, func(rc *reqCtx) (any, error) { return s.State().Datasets(), nil }},
		{"GET /v1/datasets/{id}", kindRead, readers, func(rc *reqCtx) (any, error) {
			return s.State().Dataset(rc.r.PathValue("id"))
		}},
		{"GET /v1/datasets/{id}/manifest", kindRead, readers, s.datasetManifestEndpoint},
	}
}

// datasetManifestEndpoint serves a dataset's manifest (schema, split, shard sizes, the
// gate's report: counts and rules, never a value) from the object store, verified
// against the hash the ledger holds.
func (s *Server) datasetManifestEndpoint(rc *reqCtx) (any, error) {
	d, err := s.State().Dataset(rc.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if s.cfg.Store == nil {
		return nil, fmt.Errorf("manifest of dataset %s: %w", d.Name, ErrNoObjectStore)
	}
	b, err := storage.GetBlob(rc.r.Context(), s.cfg.Store, strings.TrimPrefix(d.ManifestHash, "sha256:"))
	if err != nil {
		return nil, fmt.Errorf("manifest of dataset %s: %w", d.Name, err)
	}
	return json.RawMessage(b), nil
}

// registerDatasetEndpoint records a dataset whose manifest and shards are uploaded.
func (s *Server) registerDatasetEndpoint(rc *reqCtx) (any, error) {
	var a structs.DatasetRegisterArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := checkID("name", a.Name); err != nil {
		return nil, err
	}
	if err := checkHash("manifest_hash", a.ManifestHash); err != nil {
		return nil, err
	}
	if err := checkHashes("blob_hashes", a.BlobHashes); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if d, err := s.State().Dataset(a.Name); err == nil {
		return nil, fmt.Errorf("dataset name %q is taken by %s: %w", a.Name, d.ID, structs.ErrConflict)
	}
	id := newID()
	idx, err := s.apply(structs.DatasetRegisterRequestType, &structs.DatasetRegisterRequest{
		WriteRequest: rc.write("dataset_register", id),
		Dataset:      structs.Dataset{ID: id, Name: a.Name, ManifestHash: a.ManifestHash, BlobHashes: a.BlobHashes},
	})
	if err != nil {
		return nil, err
	}
	return structs.CreateResponse{ID: id, Index: idx}, nil
}
