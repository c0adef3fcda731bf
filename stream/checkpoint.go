package stream

import (
	"sync"
	"sync/atomic"
	"time"
)

// At-least-once delivery with state held in windows and joins works by
// checkpoint barriers and retention, not by snapshotting state:
//
//   - Every checkpoint interval the runtime asks each source for a barrier.
//     The source's prepare callback records its input positions (Kafka
//     offsets), then the barrier travels in-band after everything the source
//     emitted before it.
//   - Each stage forwards the barrier once it has arrived on all its inputs.
//     Stateful operators (Retainer) add to it the lowest event time whose
//     contribution they still hold; sinks flush before they acknowledge it.
//   - When every sink has acknowledged, the checkpoint is complete: every
//     element the sources emitted before the barrier has reached durable
//     output, or is held in state with event time >= the checkpoint's
//     retainedFrom. The source's complete callback may then commit every
//     position before the barrier whose elements (and all earlier ones) have
//     event time < retainedFrom.
//
// A restart replays from the committed positions, so no element's
// contribution to any result is lost; some may be counted twice (at least
// once). A final checkpoint completes when Run ends without failure
// (exhausted or cancelled), before Run returns.

// Retainer is implemented by operators that hold the contribution of input
// elements in state until a later firing (windows, join buffers). It is asked
// when a checkpoint barrier passes the operator, from the operator's own
// goroutine.
type Retainer interface {
	// RetainedFrom returns the lowest event time of any input element whose
	// contribution is held in state and may still change or produce output,
	// or MaxTime when nothing is held.
	RetainedFrom() int64
	// OutputDelay returns the largest amount by which the event time of an
	// output element may exceed the time of an input element it derives
	// from (a tumbling window of size d stamping results at its end: d). A
	// value < 0 means unbounded (session windows): a later stateful stage
	// then stops commits past anything it holds.
	OutputDelay() int64
}

// CheckpointFuncs are a source's checkpoint callbacks (see Emitter.OnCheckpoint).
type CheckpointFuncs struct {
	// Prepare is called in the source's goroutine just before barrier id
	// follows the elements emitted so far: record the input positions of
	// everything emitted up to now under id.
	Prepare func(id uint64)
	// Complete is called, from another goroutine, when checkpoint id is
	// complete (see the comment on checkpoints above). Checkpoints complete
	// in id order and a completion may stand for skipped earlier ids: commit
	// the positions recorded for id and forget earlier ones. retainedFrom is
	// MaxTime when no stage holds anything. The final checkpoint, which every
	// source injects when it ends, has id math.MaxUint64 and completes in
	// Run's goroutine before Run returns (only if the run did not fail).
	Complete func(id uint64, retainedFrom int64)
}

// finalCheckpoint is the id of the checkpoint every source injects when it
// ends (exhausted or cancelled); it completes before Run returns.
const finalCheckpoint = ^uint64(0)

// barrier is a checkpoint barrier as it travels: its id, the lowest source
// event time still held by the stateful stages it passed (MaxTime: none),
// and how far those stages may have shifted event time forward (< 0:
// unboundedly).
type barrier struct {
	id       uint64
	retained int64
	shift    int64
}

// through accounts for an operator the barrier passes.
func (b barrier) through(op any) barrier {
	r, ok := op.(Retainer)
	if !ok {
		return b
	}
	if held := r.RetainedFrom(); held != MaxTime {
		src := MinTime
		if b.shift >= 0 && held > MinTime+b.shift {
			src = held - b.shift
		}
		b.retained = min(b.retained, src)
	}
	if d := r.OutputDelay(); d < 0 || b.shift < 0 {
		b.shift = -1
	} else if b.shift > MaxTime-d {
		b.shift = -1
	} else {
		b.shift += d
	}
	return b
}

// merge combines the same barrier arriving on two inputs.
func (b barrier) merge(o barrier) barrier {
	b.retained = min(b.retained, o.retained)
	if b.shift < 0 || o.shift < 0 {
		b.shift = -1
	} else {
		b.shift = max(b.shift, o.shift)
	}
	return b
}

// alignment tracks one barrier id at an exchange-fed task: which inputs
// delivered it and the merged payload. The barrier moves on when every
// input has delivered it or ended (at-least-once: inputs are not blocked
// meanwhile, which can only make the retention more conservative).
type alignment struct {
	seen []bool
	b    barrier
	any  bool
}

// coordinator tracks checkpoints: it triggers barriers at the sources and
// completes a checkpoint when every sink instance has acknowledged it (or
// ended).
type coordinator struct {
	mu        sync.Mutex
	sinks     int
	ended     []bool
	pending   map[uint64]*pendingCkpt
	requested atomic.Uint64 // latest id asked of the sources
	completed uint64
	done      chan completion
	sources   []sourceCkpt
	final     *completion
}

type pendingCkpt struct {
	acked    []bool
	retained int64
}

type completion struct {
	id       uint64
	retained int64
}

func (c *coordinator) addSink() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sinks++
	c.ended = append(c.ended, false)
	return c.sinks - 1
}

// sourceCkpt is a source's checkpoint callbacks and its stage's name.
type sourceCkpt struct {
	stage string
	f     CheckpointFuncs
}

func (c *coordinator) addSource(stage string, f CheckpointFuncs) {
	c.mu.Lock()
	c.sources = append(c.sources, sourceCkpt{stage, f})
	c.mu.Unlock()
}

func (rt *runtime) ack(sink int, b barrier) {
	c := &rt.ckpt
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[b.id]
	if p == nil {
		p = &pendingCkpt{acked: make([]bool, c.sinks), retained: MaxTime}
		c.pending[b.id] = p
	}
	p.acked[sink] = true
	p.retained = min(p.retained, b.retained)
	c.check()
}

func (rt *runtime) sinkEnded(sink int) {
	c := &rt.ckpt
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended[sink] = true
	c.check()
}

// check completes pending checkpoints in id order; c.mu is held.
func (c *coordinator) check() {
	for {
		var next uint64
		found := false
		for id := range c.pending {
			if !found || id < next {
				next, found = id, true
			}
		}
		if !found {
			return
		}
		p := c.pending[next]
		for i, a := range p.acked {
			if !a && !c.ended[i] {
				return
			}
		}
		delete(c.pending, next)
		done := completion{id: next, retained: p.retained}
		if next == finalCheckpoint {
			c.final = &done
			continue
		}
		c.completed = next
		select {
		case c.done <- done:
		default:
			// The coordinator goroutine is behind; completions subsume
			// earlier ones, so keep the latest.
			select {
			case <-c.done:
			default:
			}
			c.done <- done
		}
	}
}

// runCoordinator triggers periodic checkpoints and delivers completions to
// the sources, until stop is closed.
func (rt *runtime) runCoordinator(stop <-chan struct{}) {
	c := &rt.ckpt
	var tick <-chan time.Time
	if rt.cfg.checkpoint > 0 {
		t := time.NewTicker(rt.cfg.checkpoint)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-tick:
			c.mu.Lock()
			if c.requested.Load() == c.completed {
				c.requested.Add(1)
			}
			c.mu.Unlock()
		case d := <-c.done:
			rt.complete(d)
		case <-stop:
			return
		}
	}
}

// complete hands a completed checkpoint to the sources. A panic in a
// source's Complete fails the run with an error naming the source.
func (rt *runtime) complete(d completion) {
	rt.ckpt.mu.Lock()
	srcs := append([]sourceCkpt(nil), rt.ckpt.sources...)
	rt.ckpt.mu.Unlock()
	for _, s := range srcs {
		if s.f.Complete != nil {
			if err := recovered(s.stage, func() { s.f.Complete(d.id, d.retained) }); err != nil {
				rt.fail(err)
			}
		}
	}
}
