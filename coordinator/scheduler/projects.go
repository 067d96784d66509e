package scheduler

import (
	"math"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// projectIndex returns the index of a project's state, reading it from the input
// the first time the pass meets the name.
func (s *pass) projectIndex(name string) int32 {
	if i, ok := s.projAt[name]; ok {
		return i
	}
	i := int32(len(s.projects))
	if int(i) == len(s.projStore) {
		s.projStore = append(s.projStore, &project{})
	}
	pr := s.projStore[i]
	k := len(s.pools)
	*pr = project{name: name, weight: 1, quota: resize(pr.quota, k), limit: resize(pr.limit, k), held: resize(pr.held, k),
		usage: resize(pr.usage, k), minVictim: resize(pr.minVictim, k)}
	spec := s.in.Projects[name]
	if spec == nil && name == structs.DefaultProject {
		spec = structs.ImplicitDefaultProject()
	}
	pr.undefined = spec == nil
	usage := s.in.Usage[name]
	for j, p := range s.pools {
		pr.limit[j] = -1
		pr.minVictim[j] = math.MaxInt
		if spec != nil {
			pr.quota[j] = spec.Quota[p.kind]
			pr.limit[j] = spec.Limit(p.kind)
		}
		pr.usage[j] = usage[p.kind]
	}
	if spec != nil && spec.Weight > 0 {
		pr.weight = spec.Weight
	}
	s.projects = append(s.projects, pr)
	s.projAt[name] = i
	return i
}

// classValue is a class's value; an unknown class (deleted while its runs still
// run) counts as the default class, or 0.
func (s *pass) classValue(name string) int {
	if v, ok := s.classOf(name); ok {
		return v
	}
	if v, ok := s.classOf(structs.DefaultPriority); ok {
		return v
	}
	return 0
}

// classOf is a class's value, looked up in the pass's short list of classes (a
// cluster has a handful; comparing a few names is cheaper than hashing one).
func (s *pass) classOf(name string) (int, bool) {
	for i, n := range s.classNames {
		if n == name {
			return s.classValues[i], true
		}
	}
	return 0, false
}
