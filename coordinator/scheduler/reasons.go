package scheduler

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// reasonKey identifies a reason text that many waiting experiments share, so that a
// pass with thousands of them formats each text once: a code and up to four
// numbers packed in 64 bits (hashing a struct key cost more than the rest of the
// reason). ok is false when a number does not fit; the text is then not memoised.
func reasonKey(code uint64, pool int, nums ...int) (key uint64, ok bool) {
	key = code | uint64(pool)<<2
	shift := 8
	widths := [...]int{10, 16, 14, 16}
	if len(nums) == 3 {
		widths = [...]int{20, 12, 24, 0}
	}
	if pool >= 1<<6 {
		return 0, false
	}
	for i, n := range nums {
		if n < -1 || n+1 >= 1<<widths[i] {
			return 0, false
		}
		key |= uint64(n+1) << shift
		shift += widths[i]
	}
	return key, true
}

const (
	reasonNoCapacity = iota
	reasonQuota
	reasonReserved
)

// wait appends pe to the queue with its reason and, when known (ns > 0), when it
// is expected to start.
func (s *pass) wait(pe *pend, reason string, start int64) {
	q := QueueEntry{ExperimentID: pe.id, Position: len(s.out.Queue) + 1, Reason: reason}
	if start > 0 {
		q.EstimatedStart = s.at(start)
	}
	s.out.Queue = append(s.out.Queue, q)
}

func (s *pass) memo(k uint64, ok bool, format func() string) string {
	if !ok {
		return format()
	}
	if r, ok := s.reasons[k]; ok {
		return r
	}
	r := format()
	s.reasons[k] = r
	return r
}

// noCapacity: "no capacity: needs 4 nodes with 2 free gpu, 1 have them".
func (s *pass) noCapacity(pe *pend) string {
	if pe.pool < 0 {
		return "no capacity: no eligible node has " + pe.need.Kind + " devices"
	}
	p := s.pools[pe.pool]
	have := p.all.atLeast(pe.need.Devices)
	k, ok := reasonKey(reasonNoCapacity, pe.pool, pe.need.Min, pe.need.Devices, have)
	return s.memo(k, ok, func() string {
		return fmt.Sprintf("no capacity: needs %d %s with %d free %s, %d %s them", pe.need.Min, plural(pe.need.Min, "node"),
			pe.need.Devices, p.kind, have, plural(have, "has", "have"))
	})
}

// quotaReason: "quota: project p uses 8 of its limit 8 gpu; this run needs 16 more".
func (s *pass) quotaReason(pe *pend) string {
	pr, p := s.projects[pe.proj], s.pools[pe.pool]
	held, limit, need := pr.held[pe.pool], pr.limit[pe.pool], pe.need.Min*pe.need.Devices
	k, ok := reasonKey(reasonQuota, pe.pool, int(pe.proj), held, limit, need)
	return s.memo(k, ok, func() string {
		return fmt.Sprintf("quota: project %s uses %d of its limit %d %s; this run needs %d more", pr.name,
			held, limit, p.kind, need)
	})
}

// reservedReason: it would fit now, but on devices held for the head of the queue.
func (s *pass) reservedReason(pe *pend) string {
	p := s.pools[pe.pool]
	k, ok := reasonKey(reasonReserved, pe.pool)
	return s.memo(k, ok, func() string {
		return fmt.Sprintf("reserved for the head of the queue: experiment %s is expected to start at %s on the free %s devices this run would take, and this run's time limit does not end before then",
			p.head.id, s.at(p.start).UTC().Format(time.RFC3339), p.kind)
	})
}

// waitingReason: "waiting for preempted run X to checkpoint".
func (s *pass) waitingReason(pe *pend) string {
	var ids []string
	for _, ri := range pe.waiting {
		ids = append(ids, s.runs[ri].a.ID)
	}
	const show = 3
	list := strings.Join(ids[:min(len(ids), show)], ", ")
	if len(ids) > show {
		list += " and " + strconv.Itoa(len(ids)-show) + " more"
	}
	return "waiting for preempted " + plural(len(ids), "run") + " " + list + " to checkpoint"
}

// plural picks the word for n: one form and "s" added, or one form and another.
func plural(n int, forms ...string) string {
	if n == 1 {
		return forms[0]
	}
	if len(forms) > 1 {
		return forms[1]
	}
	return forms[0] + "s"
}
