package coordinator

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func (s *Server) agentRoutes() []route {
	agent := []string{structs.RoleAgent}
	return []route{
		{"POST /v1/agent/register", kindWrite, agent, s.registerEndpoint},
		{"POST /v1/agent/heartbeat", kindWrite, agent, s.heartbeatEndpoint},
		{"GET /v1/agent/assignments", kindRead, agent, s.assignmentsEndpoint},
		{"POST /v1/agent/progress", kindWrite, agent, s.progressEndpoint},
		{"POST /v1/agent/attempt-end", kindWrite, agent, s.attemptEndEndpoint},
		{"POST /v1/agent/rendezvous", kindWrite, agent, s.rendezvousEndpoint},
		{"POST /v1/agent/resumed", kindWrite, agent, s.resumedEndpoint},
		{"POST /v1/agent/artifact", kindWrite, agent, s.artifactEndpoint},
		{"POST /v1/agent/security-events", kindWrite, agent, s.agentSecurityEventsEndpoint},
	}
}

// registerEndpoint records a node. An unchanged, live node costs no Raft write.
func (s *Server) registerEndpoint(rc *reqCtx) (any, error) {
	var a structs.NodeRegisterArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := checkID("id", a.ID); err != nil {
		return nil, err
	}
	if err := checkHostPort("address", a.Address); err != nil {
		return nil, err
	}
	if a.LogAddress != "" {
		if err := checkHostPort("log_address", a.LogAddress); err != nil {
			return nil, err
		}
	}
	for i, d := range a.Devices {
		if d.Kind != "cpu" && d.Kind != "gpu" {
			return nil, structs.Invalid(fmt.Sprintf("devices[%d].kind", i), fmt.Sprintf("%q is not cpu or gpu", d.Kind))
		}
		switch d.Health {
		case structs.DeviceHealthy, structs.DeviceDegraded, structs.DeviceUnhealthy, structs.DeviceCordoned:
		default:
			return nil, structs.Invalid(fmt.Sprintf("devices[%d].health", i), fmt.Sprintf("%q is not healthy, degraded, unhealthy or cordoned", d.Health))
		}
		if err := checkReasons(fmt.Sprintf("devices[%d].reasons", i), d.Reasons); err != nil {
			return nil, err
		}
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	s.heartbeats.beat(a.ID, time.Now())
	if old, err := s.State().Node(a.ID); err == nil && old.Status != structs.NodeStatusDown &&
		old.Name == a.Name && old.Address == a.Address && old.LogAddress == a.LogAddress && sameInventory(old.Devices, a.Devices) {
		return structs.WriteResponse{Index: old.ModifyIndex}, nil
	}
	idx, err := s.apply(structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{
		WriteRequest: rc.write("node_register", a.ID),
		Node:         structs.Node{ID: a.ID, Name: a.Name, Address: a.Address, LogAddress: a.LogAddress, Devices: a.Devices},
	})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// sameInventory reports whether a registration repeats the recorded devices (the
// committed cordon fields are not the agent's to send).
func sameInventory(old, cur []structs.Device) bool {
	return slices.EqualFunc(old, cur, func(a, b structs.Device) bool {
		return a.ID == b.ID && a.Kind == b.Kind && a.Name == b.Name && a.Health == b.Health && slices.Equal(a.Reasons, b.Reasons)
	})
}

// heartbeatEndpoint is leader soft state: it touches a map, and writes to Raft only
// when a node that was committed down comes back, or when a device turns unhealthy
// (the device is cordoned, the node's attempt failed and its checkpoints since the
// fault marked suspect, all in one entry).
func (s *Server) heartbeatEndpoint(rc *reqCtx) (any, error) {
	start := time.Now()
	defer func() { s.metrics.heartbeat.Observe(time.Since(start).Seconds()) }()
	var a structs.HeartbeatArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := checkID("node_id", a.NodeID); err != nil {
		return nil, err
	}
	if err := validateDeviceStatuses(a.Devices); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	n, err := s.State().Node(a.NodeID)
	if err != nil {
		return nil, fmt.Errorf("%w (register first)", err)
	}
	for i, d := range a.Devices {
		if n.Device(d.ID) < 0 {
			return nil, fmt.Errorf("devices[%d]: device %q of node %s: %w (register again with the current inventory)", i, d.ID, n.ID, structs.ErrNotFound)
		}
	}
	now := time.Now()
	s.heartbeats.beat(n.ID, now)
	faults := s.devices.report(n.ID, now, a.Devices)
	s.samples.record(n.ID, now, a.Devices)
	idx := n.ModifyIndex
	if n.Status == structs.NodeStatusDown {
		idx, err = s.apply(structs.NodeStatusRequestType, &structs.NodeStatusRequest{
			WriteRequest: rc.write("node_up", n.ID), NodeID: n.ID, Status: structs.NodeStatusUp, Reason: "heartbeat resumed"})
		if err != nil {
			return nil, err
		}
		if n, err = s.State().Node(a.NodeID); err != nil {
			return nil, err
		}
	}
	for _, d := range a.Devices {
		since, bad := faults[d.ID]
		if !bad || n.Devices[n.Device(d.ID)].Cordoned {
			continue
		}
		idx, err = s.apply(structs.DeviceUnhealthyRequestType, &structs.DeviceUnhealthyRequest{
			WriteRequest: rc.write("device_cordon", n.ID+"/"+d.ID), NodeID: n.ID, DeviceID: d.ID,
			Reasons: d.Reasons, FaultSince: since.UnixNano()})
		if errors.Is(err, structs.ErrConflict) {
			continue // a concurrent heartbeat cordoned it first
		}
		if err != nil {
			return nil, fmt.Errorf("cordon device %s of node %s: %w", d.ID, n.ID, err)
		}
		s.log.Warn("device cordoned", "node_id", n.ID, "device_id", d.ID, "fault_since", since.UTC().Format(time.RFC3339Nano))
	}
	_, leader := s.raft.LeaderWithID()
	return structs.HeartbeatResponse{Status: n.Status, IntervalMS: s.heartbeatInterval().Milliseconds(),
		Index: idx, LeaderID: string(leader)}, nil
}

// heartbeatInterval is what agents are told: a third of the timeout, so two lost
// beats do not mark a node down.
func (s *Server) heartbeatInterval() time.Duration { return s.cfg.NodeHeartbeatTimeout / 3 }

// assignmentsEndpoint lists the running attempt ranks placed on ?node=ID. With
// ?index=N&wait=30s it blocks until the state moves past N.
func (s *Server) assignmentsEndpoint(rc *reqCtx) (any, error) {
	node := rc.r.URL.Query().Get("node")
	if err := checkID("node", node); err != nil {
		return nil, err
	}
	if err := rc.blockingWait(); err != nil {
		return nil, err
	}
	st := s.State()
	out := []structs.Assignment{}
	for _, a := range st.RunningAttempts(node) {
		e, err := st.Experiment(a.ExperimentID)
		if err != nil {
			return nil, fmt.Errorf("attempt %s: %w", a.ID, err)
		}
		as := structs.Assignment{Attempt: *a, Experiment: *e}
		for _, r := range a.Ranks {
			if r.NodeID == node {
				as.Rank = r.Rank
			}
		}
		if a.ResumeFrom != "" {
			if as.ResumeFrom, err = st.Checkpoint(a.ResumeFrom); err != nil {
				return nil, fmt.Errorf("attempt %s resume checkpoint: %w", a.ID, err)
			}
		}
		out = append(out, as)
	}
	return out, nil
}

// runningAttempt checks that attemptID is a running attempt of experimentID and that
// rank is in its world.
func (s *Server) runningAttempt(experimentID, attemptID string, rank int) (*structs.Attempt, error) {
	a, err := s.State().Attempt(attemptID)
	if err != nil {
		return nil, err
	}
	if experimentID != "" && a.ExperimentID != experimentID {
		return nil, structs.Invalid("attempt_id", fmt.Sprintf("attempt %s belongs to experiment %s", a.ID, a.ExperimentID))
	}
	if rank < 0 || rank >= len(a.Ranks) {
		return nil, structs.Invalid("rank", fmt.Sprintf("%d is outside the attempt's world of %d", rank, len(a.Ranks)))
	}
	if a.Status != structs.AttemptRunning {
		return nil, fmt.Errorf("attempt %s is %s, not running: %w", a.ID, a.Status, structs.ErrConflict)
	}
	return a, nil
}

// progressEndpoint records training progress. Progress is telemetry: it is committed
// (so it survives failover) but not audited.
func (s *Server) progressEndpoint(rc *reqCtx) (any, error) {
	var a structs.ProgressArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := checkID("experiment_id", a.ExperimentID); err != nil {
		return nil, err
	}
	if err := checkID("attempt_id", a.AttemptID); err != nil {
		return nil, err
	}
	if a.Step < 0 {
		return nil, structs.Invalid("step", fmt.Sprintf("%d is negative", a.Step))
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if _, err := s.runningAttempt(a.ExperimentID, a.AttemptID, a.Rank); err != nil {
		return nil, err
	}
	idx, err := s.apply(structs.ExperimentProgressRequestType, &structs.ExperimentProgressRequest{
		WriteRequest: structs.WriteRequest{Timestamp: time.Now().UnixNano()},
		ExperimentID: a.ExperimentID,
		Progress: structs.Progress{AttemptID: a.AttemptID, Step: a.Step, Epoch: a.Epoch, Loss: a.Loss,
			SamplesPerSec: a.SamplesPerSec, Metrics: a.Metrics},
	})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// attemptEndEndpoint ends an attempt as one rank saw it: any failure fails the whole
// attempt (and may restart the experiment); rank 0's success ends it successfully.
func (s *Server) attemptEndEndpoint(rc *reqCtx) (any, error) {
	var a structs.AttemptEndArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := checkID("attempt_id", a.AttemptID); err != nil {
		return nil, err
	}
	if a.Status != structs.AttemptSucceeded && a.Status != structs.AttemptFailed && a.Status != structs.AttemptStopped {
		return nil, structs.Invalid("status", fmt.Sprintf("%q is not succeeded, failed or stopped", a.Status))
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if _, err := s.runningAttempt("", a.AttemptID, a.Rank); err != nil {
		return nil, err
	}
	idx, err := s.apply(structs.AttemptEndRequestType, &structs.AttemptEndRequest{
		WriteRequest: rc.write("attempt_end_"+a.Status, a.AttemptID),
		AttemptID:    a.AttemptID, Rank: a.Rank, Status: a.Status, Reason: a.Reason,
	})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// validateDeviceStatuses checks the device part of a heartbeat.
func validateDeviceStatuses(devs []structs.DeviceStatus) error {
	if len(devs) > 1024 {
		return structs.Invalid("devices", fmt.Sprintf("has %d entries, the limit is 1024", len(devs)))
	}
	seen := map[string]bool{}
	for i, d := range devs {
		field := fmt.Sprintf("devices[%d]", i)
		if err := checkID(field+".id", d.ID); err != nil {
			return err
		}
		if seen[d.ID] {
			return structs.Invalid(field+".id", fmt.Sprintf("%q is listed twice", d.ID))
		}
		seen[d.ID] = true
		switch d.Health {
		case structs.DeviceHealthy, structs.DeviceDegraded, structs.DeviceUnhealthy:
		default:
			return structs.Invalid(field+".health", fmt.Sprintf("%q is not healthy, degraded or unhealthy", d.Health))
		}
		if d.UnhealthyForMS < 0 {
			return structs.Invalid(field+".unhealthy_for_ms", fmt.Sprintf("%d is negative", d.UnhealthyForMS))
		}
		if err := checkReasons(field+".reasons", d.Reasons); err != nil {
			return err
		}
		if err := checkReading(field+".reading", d.Reading); err != nil {
			return err
		}
	}
	return nil
}

// checkReading refuses gauges no device reads: they would draw nonsense in the console.
func checkReading(field string, r *structs.DeviceReading) error {
	switch {
	case r == nil:
		return nil
	case r.UtilizationPct < 0 || r.UtilizationPct > 100:
		return structs.Invalid(field+".utilization_pct", fmt.Sprintf("%d is not a percentage", r.UtilizationPct))
	case r.MemoryTotalBytes > 0 && r.MemoryUsedBytes > r.MemoryTotalBytes:
		return structs.Invalid(field+".memory_used_bytes", fmt.Sprintf("%d exceeds memory_total_bytes %d", r.MemoryUsedBytes, r.MemoryTotalBytes))
	case r.TemperatureC < -100 || r.TemperatureC > 300:
		return structs.Invalid(field+".temperature_c", fmt.Sprintf("%d °C is outside -100..300", r.TemperatureC))
	case math.IsNaN(r.PowerWatts) || r.PowerWatts < 0 || r.PowerWatts > 10000:
		return structs.Invalid(field+".power_watts", fmt.Sprintf("%g W is outside 0..10000", r.PowerWatts))
	}
	return nil
}

// checkReasons bounds the health reasons an agent sends: at most 32 of 500 characters.
func checkReasons(field string, rs []string) error {
	if len(rs) > 32 {
		return structs.Invalid(field, fmt.Sprintf("has %d entries, the limit is 32", len(rs)))
	}
	for i, r := range rs {
		if err := checkText(fmt.Sprintf("%s[%d]", field, i), r, 500); err != nil {
			return err
		}
	}
	return nil
}

// rendezvousEndpoint records where a torch attempt's ranks meet: rank 0's agent picks
// a free port on its host and publishes it here; the other agents read it from their
// assignments before they launch.
func (s *Server) rendezvousEndpoint(rc *reqCtx) (any, error) {
	var a structs.RendezvousArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := checkID("attempt_id", a.AttemptID); err != nil {
		return nil, err
	}
	if err := checkHostPort("rendezvous", a.Rendezvous); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if _, err := s.runningAttempt("", a.AttemptID, 0); err != nil {
		return nil, err
	}
	idx, err := s.apply(structs.AttemptRendezvousRequestType, &structs.AttemptRendezvousRequest{
		WriteRequest: structs.WriteRequest{Timestamp: time.Now().UnixNano()}, AttemptID: a.AttemptID, Rendezvous: a.Rendezvous})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// resumedEndpoint records the checkpoint an attempt really resumed from: the
// scheduler names the newest committed one, but the agent may have refused it (and
// others) and fallen back, and a validator must see where training continued.
func (s *Server) resumedEndpoint(rc *reqCtx) (any, error) {
	var a structs.ResumedArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := checkID("attempt_id", a.AttemptID); err != nil {
		return nil, err
	}
	if a.CheckpointID != structs.ResumedFromScratch {
		if err := checkID("checkpoint_id", a.CheckpointID); err != nil {
			return nil, err
		}
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	att, err := s.runningAttempt("", a.AttemptID, 0)
	if err != nil {
		return nil, err
	}
	if a.CheckpointID != structs.ResumedFromScratch {
		c, err := s.State().Checkpoint(a.CheckpointID)
		if err != nil {
			return nil, err
		}
		if c.ExperimentID != att.ExperimentID {
			return nil, structs.Invalid("checkpoint_id", fmt.Sprintf("checkpoint %s belongs to experiment %s", c.ID, c.ExperimentID))
		}
	}
	idx, err := s.apply(structs.AttemptResumedRequestType, &structs.AttemptResumedRequest{
		WriteRequest: structs.WriteRequest{Timestamp: time.Now().UnixNano()}, AttemptID: a.AttemptID, CheckpointID: a.CheckpointID})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// artifactEndpoint records a file of a running attempt that the agent uploaded and
// checked (a torch run's ONNX model). It is audited: it is what a release builds on.
func (s *Server) artifactEndpoint(rc *reqCtx) (any, error) {
	var a structs.ArtifactArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if err := checkID("experiment_id", a.ExperimentID); err != nil {
		return nil, err
	}
	if err := checkID("attempt_id", a.AttemptID); err != nil {
		return nil, err
	}
	art := a.Artifact
	if err := checkID("artifact.name", art.Name); err != nil {
		return nil, err
	}
	if err := checkHash("artifact.sha256", art.SHA256); err != nil {
		return nil, err
	}
	for _, h := range []struct{ field, value string }{
		{"artifact.sample_inputs_sha256", art.SampleInputs}, {"artifact.sample_outputs_sha256", art.SampleOutputs},
	} {
		if h.value == "" {
			continue
		}
		if err := checkHash(h.field, h.value); err != nil {
			return nil, err
		}
	}
	if art.Size <= 0 || art.Step < 0 || art.MaxDiff < 0 || art.MaxDiff != art.MaxDiff {
		return nil, structs.Invalid("artifact", fmt.Sprintf("size %d, step %d, max_abs_diff %v: want size > 0, step ≥ 0, max_abs_diff ≥ 0", art.Size, art.Step, art.MaxDiff))
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if _, err := s.runningAttempt(a.ExperimentID, a.AttemptID, 0); err != nil {
		return nil, err
	}
	art.AttemptID, art.SHA256 = a.AttemptID, strings.TrimPrefix(art.SHA256, "sha256:")
	art.SampleInputs, art.SampleOutputs = strings.TrimPrefix(art.SampleInputs, "sha256:"), strings.TrimPrefix(art.SampleOutputs, "sha256:")
	idx, err := s.apply(structs.ExperimentArtifactRequestType, &structs.ExperimentArtifactRequest{
		WriteRequest: rc.write("experiment_artifact", a.ExperimentID+"/"+art.Name), ExperimentID: a.ExperimentID, Artifact: art})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}
