package coordinator

import "errors"

// ErrShutdown is returned by calls made after Shutdown.
var ErrShutdown = errors.New("coordinator: server is shut down")

// errHandled tells the endpoint wrapper that the response was already written
// (forwarded to the leader).
var errHandled = errors.New("response already written")

// ErrNoObjectStore is returned by model file downloads on a server configured
// without an object store.
var ErrNoObjectStore = errors.New("coordinator: no object store configured")
