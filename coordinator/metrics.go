package coordinator

import (
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/dxtrain/dxtrain/coordinator/fsm"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// serverMetrics are the Prometheus metrics one server exports on /metrics. Each server
// has its own registry, so several servers in one process (tests, `dxtrain dev`) do
// not collide.
type serverMetrics struct {
	reg               *prometheus.Registry
	fsmApply          *prometheus.HistogramVec
	placements        prometheus.Counter
	placementFailures prometheus.Counter
	unplaced          prometheus.Gauge
	heartbeat         prometheus.Histogram
	tlsRefused        *prometheus.CounterVec
}

func newServerMetrics(s *Server) *serverMetrics {
	m := &serverMetrics{
		reg: prometheus.NewRegistry(),
		fsmApply: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dxtrain_fsm_apply_duration_seconds",
			Help:    "Time to apply one committed Raft entry to the state store, by message type.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10),
		}, []string{"type"}),
		placements: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dxtrain_scheduler_placements_total",
			Help: "Attempts the scheduler placed and committed.",
		}),
		placementFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dxtrain_scheduler_placement_failures_total",
			Help: "Placements the scheduler planned but could not commit.",
		}),
		unplaced: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dxtrain_scheduler_unplaced_experiments",
			Help: "Pending experiments the last scheduling pass could not place.",
		}),
		heartbeat: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dxtrain_heartbeat_duration_seconds",
			Help:    "Time the leader took to handle one agent heartbeat (including any cordon it committed).",
			Buckets: prometheus.ExponentialBuckets(1e-5, 4, 10),
		}),
		tlsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dxtrain_connections_refused_total",
			Help: "Connections and requests refused for their certificate, for speaking plaintext, or for failed authentication, by listener.",
		}, []string{"listener"}),
	}
	raftGauge := func(name, help string, v func(r *raft.Raft) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if s.raft == nil {
				return 0
			}
			return v(s.raft)
		})
	}
	m.reg.MustRegister(
		m.fsmApply, m.placements, m.placementFailures, m.unplaced, m.heartbeat, m.tlsRefused,
		raftGauge("dxtrain_raft_state", "Raft state: 0 follower, 1 candidate, 2 leader, 3 shutdown.",
			func(r *raft.Raft) float64 { return float64(r.State()) }),
		raftGauge("dxtrain_raft_term", "Current Raft term.", func(r *raft.Raft) float64 { return float64(r.CurrentTerm()) }),
		raftGauge("dxtrain_raft_last_index", "Last index in the Raft log.", func(r *raft.Raft) float64 { return float64(r.LastIndex()) }),
		raftGauge("dxtrain_raft_applied_index", "Last index applied to the state store.", func(r *raft.Raft) float64 { return float64(r.AppliedIndex()) }),
		&stateCollector{s: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

var (
	nodesDesc = prometheus.NewDesc("dxtrain_nodes", "Worker nodes by status.", []string{"status"}, nil)
	expsDesc  = prometheus.NewDesc("dxtrain_experiments", "Experiments by status.", []string{"status"}, nil)
	devsDesc  = prometheus.NewDesc("dxtrain_devices", "Worker devices by kind, health and cordon.", []string{"kind", "health", "cordoned"}, nil)
)

// stateCollector counts records of the replicated store at scrape time.
type stateCollector struct{ s *Server }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- nodesDesc
	ch <- expsDesc
	ch <- devsDesc
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	nodes := map[string]int{structs.NodeStatusUp: 0, structs.NodeStatusDown: 0, structs.NodeStatusDraining: 0}
	type devKey struct{ kind, health, cordoned string }
	devs := map[devKey]int{}
	for _, n := range c.s.liveNodes() {
		nodes[n.Status]++
		for _, d := range n.Devices {
			cordoned := "false"
			if d.Cordoned {
				cordoned = "true"
			}
			devs[devKey{d.Kind, d.Health, cordoned}]++
		}
	}
	for st, v := range nodes {
		ch <- prometheus.MustNewConstMetric(nodesDesc, prometheus.GaugeValue, float64(v), st)
	}
	exps := map[string]int{structs.ExperimentPending: 0, structs.ExperimentRunning: 0, structs.ExperimentSucceeded: 0,
		structs.ExperimentFailed: 0, structs.ExperimentCancelled: 0}
	for _, e := range c.s.State().Experiments() {
		exps[e.Status]++
	}
	for st, v := range exps {
		ch <- prometheus.MustNewConstMetric(expsDesc, prometheus.GaugeValue, float64(v), st)
	}
	for k, v := range devs {
		ch <- prometheus.MustNewConstMetric(devsDesc, prometheus.GaugeValue, float64(v), k.kind, k.health, k.cordoned)
	}
}

// timedFSM is the FSM Raft drives, timing each apply for dxtrain_fsm_apply_duration_seconds.
type timedFSM struct {
	*fsm.FSM
	hist *prometheus.HistogramVec
}

func (t *timedFSM) Apply(l *raft.Log) any {
	start := time.Now()
	out := t.FSM.Apply(l)
	if l.Type == raft.LogCommand && len(l.Data) > 0 {
		t.hist.WithLabelValues(structs.MessageType(l.Data[0]).String()).Observe(time.Since(start).Seconds())
	}
	return out
}
