package coordinator

import (
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func (s *Server) nodeRoutes() []route {
	readers := []string{structs.RoleResearcher, structs.RoleValidator, structs.RoleAgent}
	return []route{
		{"GET /v1/nodes", kindRead, readers, func(rc *reqCtx) (any, error) { return s.liveNodes(), nil }},
		{"GET /v1/nodes/{id}", kindRead, readers, func(rc *reqCtx) (any, error) {
			n, err := s.State().Node(rc.r.PathValue("id"))
			if err != nil {
				return nil, err
			}
			return s.devices.overlay(n), nil
		}},
		{"GET /v1/nodes/{id}/samples", kindRead, readers, func(rc *reqCtx) (any, error) {
			n, err := s.State().Node(rc.r.PathValue("id"))
			if err != nil {
				return nil, err
			}
			return s.samples.of(n.ID), nil
		}},
		{"POST /v1/nodes/{id}/drain", kindWrite, []string{structs.RoleAdmin}, s.drainEndpoint},
		{"POST /v1/nodes/{id}/uncordon", kindWrite, []string{structs.RoleAdmin}, s.uncordonEndpoint},
	}
}

func (s *Server) drainEndpoint(rc *reqCtx) (any, error) {
	id := rc.r.PathValue("id")
	var args structs.DrainRequest
	if err := rc.decode(&args); err != nil {
		return nil, err
	}
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if _, err := s.State().Node(id); err != nil {
		return nil, err
	}
	action := "node_drain"
	if !args.Enable {
		action = "node_undrain"
	}
	idx, err := s.apply(structs.NodeDrainRequestType, &structs.NodeDrainRequest{
		WriteRequest: rc.write(action, id), NodeID: id, Enable: args.Enable})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// uncordonEndpoint returns a repaired device to service. If the agent still reports
// it unhealthy, the next heartbeat cordons it again as a new fault.
func (s *Server) uncordonEndpoint(rc *reqCtx) (any, error) {
	id := rc.r.PathValue("id")
	var args structs.UncordonArgs
	if err := rc.decode(&args); err != nil {
		return nil, err
	}
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	if err := checkID("device_id", args.DeviceID); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	n, err := s.State().Node(id)
	if err != nil {
		return nil, err
	}
	i := n.Device(args.DeviceID)
	if i < 0 {
		return nil, fmt.Errorf("device %q of node %s: %w", args.DeviceID, id, structs.ErrNotFound)
	}
	if !n.Devices[i].Cordoned {
		return nil, fmt.Errorf("device %q of node %s is not cordoned: %w", args.DeviceID, id, structs.ErrConflict)
	}
	idx, err := s.apply(structs.DeviceUncordonRequestType, &structs.DeviceUncordonRequest{
		WriteRequest: rc.write("device_uncordon", id+"/"+args.DeviceID), NodeID: id, DeviceID: args.DeviceID})
	if err != nil {
		return nil, err
	}
	s.devices.forget(id, args.DeviceID)
	return structs.WriteResponse{Index: idx}, nil
}
