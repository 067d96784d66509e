package loop

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// Collective is what data-parallel training needs from the ranks of an attempt; a
// *collective.Comm provides it. Sums must come back bit-identical on every rank.
type Collective interface {
	Rank() int
	World() int
	AllReduceSum(buf []float32) error
	Broadcast(buf []float32, root int) error
	BroadcastBytes(data []byte, root int) ([]byte, error)
}

// ErrReplicasDiverged: the ranks' parameters stopped being bit-identical.
var ErrReplicasDiverged = errors.New("replicas diverged")

// single is the one-rank world: every collective is the identity.
type single struct{}

func (single) Rank() int                                      { return 0 }
func (single) World() int                                     { return 1 }
func (single) AllReduceSum([]float32) error                   { return nil }
func (single) Broadcast([]float32, int) error                 { return nil }
func (single) BroadcastBytes(b []byte, _ int) ([]byte, error) { return b, nil }

// rankRows is this rank's share of a global batch: rows rank, rank+W, rank+2W, …, so
// that W ranks with per-rank batch B/W see exactly the rows one rank with batch B sees.
func rankRows(rows []int, rank, world int) []int {
	if world == 1 {
		return rows
	}
	var mine []int
	for i := rank; i < len(rows); i += world {
		mine = append(mine, rows[i])
	}
	return mine
}

// gradientBuffer flattens every parameter's gradient, the loss and this rank's stop
// flag into one vector for a single all-reduce per step. The flag rides after the
// loss, in an element of its own, so the ranks agree whether any of them was asked to
// stop without a second round trip, and its value never touches a gradient or the
// loss: they are summed exactly as they would be for either value of it.
type gradientBuffer struct{ flat []float32 }

func (g *gradientBuffer) pack(params []*models.Param, loss float32, stop bool) []float32 {
	g.flat = g.flat[:0]
	for _, p := range params {
		g.flat = append(g.flat, p.Grad...)
	}
	flag := float32(0)
	if stop {
		flag = 1
	}
	g.flat = append(g.flat, loss, flag)
	return g.flat
}

// unpack copies the summed gradients back and returns the summed loss and whether any
// rank asked to stop.
func (g *gradientBuffer) unpack(params []*models.Param) (loss float32, stop bool) {
	off := 0
	for _, p := range params {
		off += copy(p.Grad, g.flat[off:off+len(p.Grad)])
	}
	return g.flat[off], g.flat[off+1] != 0
}

// syncState makes every rank start from rank 0's state: its parameters, optimizer
// state and cursor (fresh, or the checkpoint it resumed from).
func (a *attempt) syncState() error {
	c := a.comm
	if c.World() == 1 {
		return nil
	}
	tensors := append(append([]*models.Param(nil), a.params...), a.opt.State()...)
	var flat []float32
	for _, p := range tensors {
		flat = append(flat, p.Data...)
	}
	if err := c.Broadcast(flat, 0); err != nil {
		return fmt.Errorf("broadcast initial state: %w", err)
	}
	off := 0
	for _, p := range tensors {
		off += copy(p.Data, flat[off:off+len(p.Data)])
	}
	cur, err := json.Marshal(struct {
		Cursor  checkpoint.Cursor
		Saved   int64
		Resumed string
	}{a.cursor, a.saved, a.resumed})
	if err != nil {
		return err
	}
	got, err := c.BroadcastBytes(cur, 0)
	if err != nil {
		return fmt.Errorf("broadcast cursor: %w", err)
	}
	var st struct {
		Cursor  checkpoint.Cursor
		Saved   int64
		Resumed string
	}
	if err := json.Unmarshal(got, &st); err != nil {
		return fmt.Errorf("decode rank 0's cursor: %w", err)
	}
	a.cursor, a.saved, a.resumed = st.Cursor, st.Saved, st.Resumed
	return a.opt.Restore(st.Cursor.OptimizerSteps, stateMap(a.opt.State()))
}

func stateMap(ps []*models.Param) map[string][]float32 {
	m := make(map[string][]float32, len(ps))
	for _, p := range ps {
		m[p.Name] = p.Data
	}
	return m
}

// checkReplicas compares a hash of this rank's parameters with rank 0's; every rank
// learns whether any rank differs, so all of them fail together.
func (a *attempt) checkReplicas() error {
	c := a.comm
	if c.World() == 1 {
		return nil
	}
	mine := paramsHash(a.params)
	root, err := c.BroadcastBytes(mine, 0)
	if err != nil {
		return fmt.Errorf("broadcast parameter hash: %w", err)
	}
	flag := []float32{0}
	if !bytes.Equal(root, mine) {
		flag[0] = 1
	}
	if err := c.AllReduceSum(flag); err != nil {
		return fmt.Errorf("compare parameter hashes: %w", err)
	}
	if flag[0] != 0 {
		return fmt.Errorf("step %d: %w: %d of %d ranks hold parameters that differ from rank 0's", a.cursor.Step, ErrReplicasDiverged, int(flag[0]), c.World())
	}
	return nil
}

// paramsHash is the SHA-256 of every parameter's bits in order.
func paramsHash(params []*models.Param) []byte {
	h := sha256.New()
	var b [4]byte
	for _, p := range params {
		h.Write([]byte(p.Name))
		for _, v := range p.Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			h.Write(b[:])
		}
	}
	return h.Sum(nil)
}
