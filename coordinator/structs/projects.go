package structs

import "slices"

// DefaultProject is the project of an experiment whose spec names none. It exists
// without being created: no guarantee, borrowing without limit, weight 1, open to
// every researcher. An admin may create it to give it a quota.
const DefaultProject = "default"

// Project is a team's share of the cluster: a guaranteed quota of devices per kind,
// an optional limit on what it may borrow above that from idle capacity, and a
// weight for fair share among projects.
type Project struct {
	Name string `json:"name"`
	// Members are the accessor IDs of the tokens that may submit and cancel the
	// project's experiments (admins always may).
	Members []string `json:"members,omitempty"`
	// Quota is the guaranteed number of devices per kind ("cpu", "gpu"): the
	// scheduler preempts borrowers to give it back.
	Quota map[string]int `json:"quota,omitempty"`
	// BorrowLimit caps, per kind, the devices the project may use above its quota;
	// a kind absent from the map may borrow without limit.
	BorrowLimit map[string]int `json:"borrow_limit,omitempty"`
	// Weight scales the project's fair share (default 1).
	Weight      float64 `json:"weight"`
	CreatedAt   int64   `json:"created_at"`
	CreateIndex uint64  `json:"create_index"`
	ModifyIndex uint64  `json:"modify_index"`
}

// Copy returns a deep copy.
func (p *Project) Copy() *Project {
	c := *p
	c.Members = slices.Clone(p.Members)
	c.Quota = cloneCounts(p.Quota)
	c.BorrowLimit = cloneCounts(p.BorrowLimit)
	return &c
}

// Limit is the most devices of a kind the project may hold: quota plus its borrowing
// limit, or -1 for no limit.
func (p *Project) Limit(kind string) int {
	b, ok := p.BorrowLimit[kind]
	if !ok {
		return -1
	}
	return p.Quota[kind] + b
}

// HasMember reports whether the token with this accessor ID belongs to the project.
func (p *Project) HasMember(accessorID string) bool {
	return p.Name == DefaultProject && len(p.Members) == 0 || slices.Contains(p.Members, accessorID)
}

// ImplicitDefaultProject is the default project while no admin has created it.
func ImplicitDefaultProject() *Project {
	return &Project{Name: DefaultProject, Weight: 1}
}

func cloneCounts(m map[string]int) map[string]int {
	if m == nil {
		return nil
	}
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// PriorityClass is a named priority: higher values are placed first and may preempt
// lower ones. Roles lists the token roles that may submit at it (empty: any role
// that may submit); admins always may.
type PriorityClass struct {
	Name        string   `json:"name"`
	Value       int      `json:"value"`
	Roles       []string `json:"roles,omitempty"`
	Description string   `json:"description,omitempty"`
	ModifyIndex uint64   `json:"modify_index"`
}

// DefaultPriority is the class of an experiment whose spec names none.
const DefaultPriority = "normal"

// DefaultPriorityClasses are the classes a cluster has until an admin defines its
// own: urgent (admins only, for clinical-safety retraining), normal and batch.
func DefaultPriorityClasses() []PriorityClass {
	return []PriorityClass{
		{Name: "urgent", Value: 1000, Roles: []string{RoleAdmin}, Description: "clinical-safety work; preempts lower classes"},
		{Name: DefaultPriority, Value: 100, Description: "the default"},
		{Name: "batch", Value: 10, Description: "runs on idle capacity; preempted first"},
	}
}

// ProjectUpsertRequest creates or replaces a project. Lowering a quota below what
// the project uses takes effect as its runs end: nothing running is stopped for it.
type ProjectUpsertRequest struct {
	WriteRequest
	Project Project `json:"project"`
}

// ProjectDeleteRequest deletes a project that no live experiment belongs to.
type ProjectDeleteRequest struct {
	WriteRequest
	Name string `json:"name"`
}

// PriorityClassUpsertRequest creates or replaces a priority class.
type PriorityClassUpsertRequest struct {
	WriteRequest
	Class PriorityClass `json:"class"`
}
