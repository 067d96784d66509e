package coordinator

import (
	"fmt"
	"strconv"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func (s *Server) aclRoutes() []route {
	admin := []string{structs.RoleAdmin}
	return []route{
		{"POST /v1/acl/bootstrap", kindPublic, nil, s.aclBootstrapEndpoint},
		{"POST /v1/acl/tokens", kindWrite, admin, s.aclCreateEndpoint},
		{"GET /v1/acl/tokens", kindRead, admin, func(rc *reqCtx) (any, error) {
			toks := s.State().Tokens()
			for _, t := range toks {
				t.SecretHash = ""
			}
			return toks, nil
		}},
		{"DELETE /v1/acl/tokens/{accessor}", kindWrite, admin, s.aclDeleteEndpoint},
		{"GET /v1/acl/token/self", kindLocal, nil, func(rc *reqCtx) (any, error) {
			t := rc.token.Copy()
			t.SecretHash = ""
			return t, nil
		}},
		{"GET /v1/audit", kindRead, admin, s.auditEndpoint},
	}
}

// aclBootstrapEndpoint creates the first admin token. It works once per cluster;
// later calls get 409 without proposing anything.
func (s *Server) aclBootstrapEndpoint(rc *reqCtx) (any, error) {
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	if idx := s.State().ACLBootstrapIndex(); idx != 0 {
		return nil, fmt.Errorf("acl already bootstrapped at index %d: %w", idx, structs.ErrConflict)
	}
	secret := newSecret()
	tok := structs.ACLToken{AccessorID: newID(), SecretHash: structs.HashSecret(secret),
		Name: "bootstrap", Roles: []string{structs.RoleAdmin}}
	wr := rc.write("acl_bootstrap", tok.AccessorID)
	wr.Audit.Actor = tok.AccessorID
	idx, err := s.apply(structs.ACLBootstrapRequestType, &structs.ACLBootstrapRequest{WriteRequest: wr, Token: tok})
	if err != nil {
		return nil, err
	}
	return structs.ACLTokenSecretResponse{AccessorID: tok.AccessorID, SecretID: secret, Name: tok.Name, Roles: tok.Roles, Index: idx}, nil
}

func (s *Server) aclCreateEndpoint(rc *reqCtx) (any, error) {
	var args structs.ACLTokenCreateArgs
	if err := rc.decode(&args); err != nil {
		return nil, err
	}
	if err := checkID("name", args.Name); err != nil {
		return nil, err
	}
	if len(args.Roles) == 0 {
		return nil, structs.Invalid("roles", "is empty; give at least one of admin, researcher, validator, trust, agent")
	}
	for i, r := range args.Roles {
		if !structs.ValidRole(r) {
			return nil, structs.Invalid(fmt.Sprintf("roles[%d]", i), fmt.Sprintf("unknown role %q", r))
		}
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	secret := newSecret()
	tok := structs.ACLToken{AccessorID: newID(), SecretHash: structs.HashSecret(secret), Name: args.Name, Roles: args.Roles}
	idx, err := s.apply(structs.ACLTokenUpsertRequestType, &structs.ACLTokenUpsertRequest{
		WriteRequest: rc.write("acl_token_create", tok.AccessorID), Token: tok})
	if err != nil {
		return nil, err
	}
	return structs.ACLTokenSecretResponse{AccessorID: tok.AccessorID, SecretID: secret, Name: tok.Name, Roles: tok.Roles, Index: idx}, nil
}

func (s *Server) aclDeleteEndpoint(rc *reqCtx) (any, error) {
	id := rc.r.PathValue("accessor")
	if err := checkID("accessor", id); err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	found := false
	for _, t := range s.State().Tokens() {
		found = found || t.AccessorID == id
	}
	if !found {
		return nil, fmt.Errorf("token %q: %w", id, structs.ErrNotFound)
	}
	idx, err := s.apply(structs.ACLTokenDeleteRequestType, &structs.ACLTokenDeleteRequest{
		WriteRequest: rc.write("acl_token_delete", id), AccessorID: id})
	if err != nil {
		return nil, err
	}
	return structs.WriteResponse{Index: idx}, nil
}

// auditEndpoint lists audit entries after ?after=N, at most ?limit=M (default 1000).
func (s *Server) auditEndpoint(rc *reqCtx) (any, error) {
	q := rc.r.URL.Query()
	after, limit := uint64(0), 1000
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, structs.Invalid("after", fmt.Sprintf("%q is not an unsigned integer", v))
		}
		after = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, structs.Invalid("limit", fmt.Sprintf("%q is not a positive integer", v))
		}
		limit = n
	}
	if v := q.Get("last"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, structs.Invalid("last", fmt.Sprintf("%q is not a positive integer", v))
		}
		if q.Get("after") != "" {
			return nil, structs.Invalid("last", "cannot be combined with after")
		}
		return s.State().AuditTail(n), nil // the newest entries: what a console shows first
	}
	return s.State().Audit(after, limit), nil
}
