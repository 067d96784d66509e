package checkpoint

import (
	"context"
	"fmt"

	"github.com/dxtrain/dxtrain/storage"
)

// freshUploads makes storage.PutBlob upload every checkpoint blob even when an
// identical one is already stored (it reports every key as missing to Stat). A
// resumed run can rebuild bit-identical tensors whose blob is an old orphan of a
// crashed writer; skipping the upload would leave that blob with its old modification
// time, and the coordinator's garbage collector, which deletes unreferenced blobs
// older than a grace period, could delete it between upload and commit. Re-uploading
// dates it now. Only Stat is changed; Get, Put, List and Delete pass through.
type freshUploads struct{ storage.Store }

func (f freshUploads) Stat(_ context.Context, key string) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, fmt.Errorf("stat %q: upload afresh: %w", key, storage.ErrNotFound)
}
