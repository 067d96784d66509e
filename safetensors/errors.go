package safetensors

import "errors"

// Sentinel errors; the returned errors wrap them with what and where.
var (
	// ErrTruncated means the file is shorter than its header says.
	ErrTruncated = errors.New("safetensors: truncated")
	// ErrHeader means the JSON header is malformed or describes impossible tensors.
	ErrHeader = errors.New("safetensors: invalid header")
	// ErrDType means a dtype is unknown, or a conversion asked for the wrong dtype.
	ErrDType = errors.New("safetensors: dtype")
	// ErrLayout means the tensors' byte ranges do not exactly cover the data buffer.
	ErrLayout = errors.New("safetensors: invalid data layout")
	// ErrTensor means a tensor given to Encode is inconsistent (name, shape or size).
	ErrTensor = errors.New("safetensors: invalid tensor")
)
