package channel

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MaxLine is the longest message line, in bytes, not counting the newline.
const MaxLine = 1 << 20

// The operations of PROTOCOL.md.
const (
	opHello      = "hello"
	opReport     = "report"
	opCheckpoint = "checkpoint"
	opONNX       = "onnx"
	opPing       = "ping"
	opStopped    = "stopped"
)

// HelloInfo is what a rank learns in answer to its hello (PROTOCOL.md, message 1).
type HelloInfo struct {
	Experiment string  `json:"experiment"`
	Attempt    string  `json:"attempt"`
	Rank       int     `json:"rank"`
	WorldSize  int     `json:"world_size"`
	LocalRank  int     `json:"local_rank"`
	Seed       uint64  `json:"seed"`
	Dataset    Dataset `json:"dataset"`
	// Resume is the checkpoint to resume from, or nil (JSON null) for a fresh start.
	Resume *Resume `json:"resume"`
	// CheckpointDir is where the rank writes checkpoints; the server refuses a
	// checkpoint whose dir does not lie under it.
	CheckpointDir      string `json:"checkpoint_dir"`
	MaxCheckpointBytes int64  `json:"max_checkpoint_bytes"`
	// StopAtStep is set by a validator's replay only, to the step it replays to: there
	// Context.should_stop(step) turns true, as it did when the run checkpointed that
	// step on a stop request. A stop answered to a report or ping could not do this:
	// when a rank hears an answer is timing, not its step. The agent leaves it nil
	// (absent from the JSON).
	StopAtStep *int64 `json:"stop_at_step,omitempty"`
}

// Dataset says where the verified shards are.
type Dataset struct {
	Dir string `json:"dir"`
}

// Resume describes the latest committed checkpoint, unpacked and verified.
type Resume struct {
	Step         int64              `json:"step"`
	Dir          string             `json:"dir"`
	CheckpointID string             `json:"checkpoint_id"`
	Metrics      map[string]float64 `json:"metrics"`
}

// CheckpointResult is the committed checkpoint, as the rank is told.
type CheckpointResult struct {
	CheckpointID   string
	ManifestSHA256 string
}

// ONNXResult is the verified and recorded ONNX file, as the rank is told.
type ONNXResult struct {
	SHA256     string
	MaxAbsDiff float64
}

// request is any message a rank sends; which fields matter depends on Op. Unknown
// fields are ignored so that a newer client can add optional ones.
type request struct {
	Op      string             `json:"op"`
	Secret  string             `json:"secret"`
	Rank    *int               `json:"rank"`
	PID     int                `json:"pid"`
	Step    *int64             `json:"step"`
	Metrics map[string]float64 `json:"metrics"`
	Dir     string             `json:"dir"`
	Path    string             `json:"path"`
	Inputs  string             `json:"inputs"`
	Outputs string             `json:"outputs"`
}

// response is any answer; fields other than OK and Error appear only where set.
type response struct {
	OK             bool       `json:"ok"`
	Error          string     `json:"error,omitempty"`
	Info           *HelloInfo `json:"info,omitempty"`
	CheckpointID   string     `json:"checkpoint_id,omitempty"`
	ManifestSHA256 string     `json:"manifest_sha256,omitempty"`
	SHA256         string     `json:"sha256,omitempty"`
	MaxAbsDiff     *float64   `json:"max_abs_diff,omitempty"` // 0 is a real answer
	// Stop asks the rank to checkpoint and stop (answers to report and ping only);
	// a client that does not know the fields ignores them.
	Stop       bool   `json:"stop,omitempty"`
	StopReason string `json:"stop_reason,omitempty"`
	StopDetail string `json:"stop_detail,omitempty"`
}

// decodeRequest parses one line (without its newline) into a request with an op.
func decodeRequest(line []byte) (request, error) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		if bytes.Contains(line, []byte("NaN")) || bytes.Contains(line, []byte("Infinity")) {
			return request{}, fmt.Errorf("%w: not valid JSON (metric values must be finite; NaN and Infinity are not JSON): %v", ErrBadRequest, err)
		}
		return request{}, fmt.Errorf("%w: not valid JSON: %v", ErrBadRequest, err)
	}
	if req.Op == "" {
		return request{}, fmt.Errorf("%w: no op", ErrBadRequest)
	}
	return req, nil
}

func errorResponse(err error) response { return response{Error: err.Error()} }
