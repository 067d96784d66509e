package coordinator

import (
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func (s *Server) nodeRoutes() []route {
	readers := []string{structs.RoleResearcher, structs.RoleValidator, structs.RoleAgent}
	return []route{
		{"GET /v1/nodes", kindRead, readers, func(rc *reqCtx) (any, error) { return s.State().Nodes(), nil }},
		{"GET /v1/nodes/{id}", kindRead, readers, func(rc *reqCtx) (any, error) { return s.State().Node(rc.r.PathValue("id")) }},
		{"POST /v1/nodes/{id}/drain", kindWrite, []string{structs.RoleAdmin}, s.drainEndpoint},
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
