package kernels

import "errors"

// ErrShape reports a matrix size, leading dimension or slice length that does not fit the
// requested operation.
var ErrShape = errors.New("kernels: bad shape")
