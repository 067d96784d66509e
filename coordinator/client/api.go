package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Status reports the answering server's view of the cluster.
func (c *Client) Status(ctx context.Context) (*structs.StatusResponse, error) {
	var out structs.StatusResponse
	_, err := c.get(ctx, "/v1/status", nil, &out)
	return &out, err
}

// Peers lists the Raft voters (admin).
func (c *Client) Peers(ctx context.Context) ([]structs.Peer, error) {
	var out []structs.Peer
	_, err := c.get(ctx, "/v1/operator/raft/peers", nil, &out)
	return out, err
}

// Join asks the cluster to add a server as a voter (admin or join token).
func (c *Client) Join(ctx context.Context, req structs.JoinRequest) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/operator/raft/join", req, &out)
	return out.Index, err
}

// RemovePeer removes a server from the Raft configuration (admin).
func (c *Client) RemovePeer(ctx context.Context, id string) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodDelete, "/v1/operator/raft/peers/"+url.PathEscape(id), nil, &out)
	return out.Index, err
}

// ACLBootstrap creates the first admin token; a second call fails with ErrConflict.
func (c *Client) ACLBootstrap(ctx context.Context) (*structs.ACLTokenSecretResponse, error) {
	var out structs.ACLTokenSecretResponse
	err := c.send(ctx, http.MethodPost, "/v1/acl/bootstrap", nil, &out)
	return &out, err
}

// CreateToken creates a token with roles (admin). The secret is in the answer only.
func (c *Client) CreateToken(ctx context.Context, name string, roles ...string) (*structs.ACLTokenSecretResponse, error) {
	var out structs.ACLTokenSecretResponse
	err := c.send(ctx, http.MethodPost, "/v1/acl/tokens", structs.ACLTokenCreateArgs{Name: name, Roles: roles}, &out)
	return &out, err
}

// Tokens lists tokens without their secret hashes (admin).
func (c *Client) Tokens(ctx context.Context) ([]structs.ACLToken, error) {
	var out []structs.ACLToken
	_, err := c.get(ctx, "/v1/acl/tokens", nil, &out)
	return out, err
}

// DeleteToken deletes a token (admin).
func (c *Client) DeleteToken(ctx context.Context, accessorID string) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodDelete, "/v1/acl/tokens/"+url.PathEscape(accessorID), nil, &out)
	return out.Index, err
}

// TokenSelf describes the client's own token.
func (c *Client) TokenSelf(ctx context.Context) (*structs.ACLToken, error) {
	var out structs.ACLToken
	_, err := c.get(ctx, "/v1/acl/token/self", nil, &out)
	return &out, err
}

// Audit lists audit entries with index > after, at most limit (0 = server default).
func (c *Client) Audit(ctx context.Context, after uint64, limit int) ([]structs.AuditEntry, error) {
	q := url.Values{"after": {strconv.FormatUint(after, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out []structs.AuditEntry
	_, err := c.get(ctx, "/v1/audit", q, &out)
	return out, err
}

// SubmitExperiment submits a spec YAML and returns the new experiment's ID. A
// runtime: torch spec names its uploaded code bundle (codeBundle, a SHA-256); a
// native one passes "".
func (c *Client) SubmitExperiment(ctx context.Context, specYAML []byte, codeBundle string) (*structs.CreateResponse, error) {
	var q url.Values
	if codeBundle != "" {
		q = url.Values{"code_bundle": {codeBundle}}
	}
	var out structs.CreateResponse
	_, err := c.do(ctx, http.MethodPost, "/v1/experiments", q, specYAML, "application/yaml", &out)
	return &out, err
}

// Experiments lists experiments, optionally with one status ("" = all).
func (c *Client) Experiments(ctx context.Context, status string) ([]structs.Experiment, error) {
	var q url.Values
	if status != "" {
		q = url.Values{"status": {status}}
	}
	var out []structs.Experiment
	_, err := c.get(ctx, "/v1/experiments", q, &out)
	return out, err
}

// Experiment returns one experiment.
func (c *Client) Experiment(ctx context.Context, id string) (*structs.Experiment, error) {
	var out structs.Experiment
	_, err := c.get(ctx, "/v1/experiments/"+url.PathEscape(id), nil, &out)
	return &out, err
}

// CancelExperiment cancels an experiment and its running attempt.
func (c *Client) CancelExperiment(ctx context.Context, id string) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/experiments/"+url.PathEscape(id)+"/cancel", nil, &out)
	return out.Index, err
}

// Metrics returns an experiment's status and latest progress. With waitIndex > 0 the
// server holds the request until the state passes waitIndex or wait elapses; the
// returned index is the one to pass next time.
func (c *Client) Metrics(ctx context.Context, id string, waitIndex uint64, wait time.Duration) (*structs.MetricsResponse, uint64, error) {
	var out structs.MetricsResponse
	idx, err := c.get(ctx, "/v1/experiments/"+url.PathEscape(id)+"/metrics", blocking(waitIndex, wait), &out)
	return &out, idx, err
}

// Attempts lists an experiment's attempts, oldest first.
func (c *Client) Attempts(ctx context.Context, experimentID string) ([]structs.Attempt, error) {
	var out []structs.Attempt
	_, err := c.get(ctx, "/v1/experiments/"+url.PathEscape(experimentID)+"/attempts", nil, &out)
	return out, err
}

// Nodes lists the worker nodes.
func (c *Client) Nodes(ctx context.Context) ([]structs.Node, error) {
	var out []structs.Node
	_, err := c.get(ctx, "/v1/nodes", nil, &out)
	return out, err
}

// Node returns one node.
func (c *Client) Node(ctx context.Context, id string) (*structs.Node, error) {
	var out structs.Node
	_, err := c.get(ctx, "/v1/nodes/"+url.PathEscape(id), nil, &out)
	return &out, err
}

// DrainNode sets (true) or clears (false) a node's drain flag (admin).
func (c *Client) DrainNode(ctx context.Context, id string, enable bool) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/nodes/"+url.PathEscape(id)+"/drain", structs.DrainRequest{Enable: enable}, &out)
	return out.Index, err
}

// UncordonDevice returns a repaired, cordoned device of a node to service (admin).
func (c *Client) UncordonDevice(ctx context.Context, nodeID, deviceID string) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/nodes/"+url.PathEscape(nodeID)+"/uncordon", structs.UncordonArgs{DeviceID: deviceID}, &out)
	return out.Index, err
}

// CommitCheckpoint adds an uploaded, verified checkpoint to the ledger (agent).
func (c *Client) CommitCheckpoint(ctx context.Context, args structs.CheckpointCommitArgs) (*structs.CreateResponse, error) {
	var out structs.CreateResponse
	err := c.send(ctx, http.MethodPost, "/v1/checkpoints", args, &out)
	return &out, err
}

// Checkpoints lists ledger records of an experiment ("" = all), by step.
func (c *Client) Checkpoints(ctx context.Context, experimentID string) ([]structs.Checkpoint, error) {
	var q url.Values
	if experimentID != "" {
		q = url.Values{"experiment": {experimentID}}
	}
	var out []structs.Checkpoint
	_, err := c.get(ctx, "/v1/checkpoints", q, &out)
	return out, err
}

// Checkpoint returns one ledger record.
func (c *Client) Checkpoint(ctx context.Context, id string) (*structs.Checkpoint, error) {
	var out structs.Checkpoint
	_, err := c.get(ctx, "/v1/checkpoints/"+url.PathEscape(id), nil, &out)
	return &out, err
}

// LatestCheckpoint returns the experiment's latest committed, non-suspect checkpoint,
// confirmed by the leader (ErrNotFound if there is none).
func (c *Client) LatestCheckpoint(ctx context.Context, experimentID string) (*structs.Checkpoint, error) {
	var out structs.Checkpoint
	_, err := c.get(ctx, "/v1/experiments/"+url.PathEscape(experimentID)+"/checkpoints/latest", nil, &out)
	return &out, err
}

// FlagCheckpoint pins/unpins (validator) or marks suspect (validator, agent).
func (c *Client) FlagCheckpoint(ctx context.Context, id string, args structs.CheckpointFlagArgs) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/checkpoints/"+url.PathEscape(id)+"/flag", args, &out)
	return out.Index, err
}

// RegisterDataset records an uploaded dataset (researcher).
func (c *Client) RegisterDataset(ctx context.Context, args structs.DatasetRegisterArgs) (*structs.CreateResponse, error) {
	var out structs.CreateResponse
	err := c.send(ctx, http.MethodPost, "/v1/datasets", args, &out)
	return &out, err
}

// Datasets lists datasets.
func (c *Client) Datasets(ctx context.Context) ([]structs.Dataset, error) {
	var out []structs.Dataset
	_, err := c.get(ctx, "/v1/datasets", nil, &out)
	return out, err
}

// Dataset returns a dataset by ID or name.
func (c *Client) Dataset(ctx context.Context, idOrName string) (*structs.Dataset, error) {
	var out structs.Dataset
	_, err := c.get(ctx, "/v1/datasets/"+url.PathEscape(idOrName), nil, &out)
	return &out, err
}

// DatasetManifest is the manifest SHA-256 of the dataset committed under a name: how
// trainers and validators resolve a spec's dataset in a cluster.
func (c *Client) DatasetManifest(ctx context.Context, name string) (string, error) {
	d, err := c.Dataset(ctx, name)
	if err != nil {
		return "", fmt.Errorf("dataset %s: %w", name, err)
	}
	return d.ManifestHash, nil
}

// RegisterNode registers the agent's node (agent).
func (c *Client) RegisterNode(ctx context.Context, args structs.NodeRegisterArgs) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/agent/register", args, &out)
	return out.Index, err
}

// Heartbeat tells the leader the node is alive (agent), with the health of its
// devices (optional; a device reported unhealthy is cordoned). ErrNotFound means
// register (again, if the device inventory changed).
func (c *Client) Heartbeat(ctx context.Context, nodeID string, devices ...structs.DeviceStatus) (*structs.HeartbeatResponse, error) {
	var out structs.HeartbeatResponse
	err := c.send(ctx, http.MethodPost, "/v1/agent/heartbeat", structs.HeartbeatArgs{NodeID: nodeID, Devices: devices}, &out)
	return &out, err
}

// ReportRefusals commits the connections an agent's ring links and log server
// refused to the audit log (agent; the server names them by the agent's
// certificate, not by what is sent).
func (c *Client) ReportRefusals(ctx context.Context, events []structs.SecurityEvent) error {
	return c.send(ctx, http.MethodPost, "/v1/agent/security-events", structs.SecurityEventsRequest{Events: events}, nil)
}

// Assignments lists the running attempt ranks placed on the node (agent). With
// waitIndex > 0 it long-polls until the state passes waitIndex or wait elapses; pass
// the returned index next time.
func (c *Client) Assignments(ctx context.Context, nodeID string, waitIndex uint64, wait time.Duration) ([]structs.Assignment, uint64, error) {
	q := blocking(waitIndex, wait)
	if q == nil {
		q = url.Values{}
	}
	q.Set("node", nodeID)
	var out []structs.Assignment
	idx, err := c.get(ctx, "/v1/agent/assignments", q, &out)
	return out, idx, err
}

// ReportProgress records training progress (agent).
func (c *Client) ReportProgress(ctx context.Context, args structs.ProgressArgs) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/agent/progress", args, &out)
	return out.Index, err
}

// EndAttempt reports a rank's end: succeeded or failed with a reason (agent).
func (c *Client) EndAttempt(ctx context.Context, args structs.AttemptEndArgs) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/agent/attempt-end", args, &out)
	return out.Index, err
}

// PublishRendezvous records where a torch attempt's ranks meet (rank 0's agent).
func (c *Client) PublishRendezvous(ctx context.Context, args structs.RendezvousArgs) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/agent/rendezvous", args, &out)
	return out.Index, err
}

// ReportResumed records the checkpoint a running attempt resumed from (agent).
func (c *Client) ReportResumed(ctx context.Context, args structs.ResumedArgs) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/agent/resumed", args, &out)
	return out.Index, err
}

// RecordArtifact records a checked, uploaded file of a running attempt (agent).
func (c *Client) RecordArtifact(ctx context.Context, args structs.ArtifactArgs) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/agent/artifact", args, &out)
	return out.Index, err
}

func blocking(index uint64, wait time.Duration) url.Values {
	if index == 0 {
		return nil
	}
	q := url.Values{"index": {strconv.FormatUint(index, 10)}}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	return q
}
