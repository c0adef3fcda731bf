package stream

import (
	"context"
	"time"
)

// Source produces the elements of a stream. The runtime calls Run once, in a
// goroutine it owns, and the source emits through out until its input is
// exhausted or ctx is done.
//
// Contract:
//   - Run returns nil when a bounded input is exhausted: the runtime then sends
//     the final watermark, which fires every window, and ends the stream.
//   - Run must return promptly once ctx is done (the pipeline was cancelled or
//     failed); what it returns then is ignored and no final watermark is sent.
//   - Any other error fails the pipeline, wrapped in a StageError naming the
//     source.
//   - out may be used only from the goroutine running Run, and not after Run
//     returns.
//   - A source that also has a Close() error method is closed when Run ends,
//     after the final checkpoint completed (see CheckpointFuncs).
//   - A source that blocks waiting for input should also wait on out.Ticks()
//     and call out.Tick when it fires, so partial batches are flushed, idleness
//     is detected and processing-time timers fire while it waits.
type Source[T any] interface {
	Run(ctx context.Context, out *Emitter[T]) error
}

// SourceFunc adapts a function to a Source.
type SourceFunc[T any] func(ctx context.Context, out *Emitter[T]) error

// Run calls f.
func (f SourceFunc[T]) Run(ctx context.Context, out *Emitter[T]) error { return f(ctx, out) }

// From adds a source to the pipeline and returns its stream. Options: Name,
// OnError (for elements the source rejects), EventTime, Watermarks,
// IdleTimeout. A nil src makes the pipeline invalid.
func From[T any](p *Pipeline, src Source[T], opts ...StageOption) Stream[T] {
	cfg := applyStageOptions(opts)
	n := newNode[T](p, kindSource, "source", cfg)
	if src == nil {
		p.errorf("stage %q: nil source", n.meta.name)
	}
	var extract func(T) time.Time
	if cfg.timestamps != nil {
		f, ok := cfg.timestamps.(func(T) time.Time)
		if !ok {
			p.errorf("stage %q: EventTime extractor %T does not take the source's element type", n.meta.name, cfg.timestamps)
		}
		extract = f
	}
	strategy := cfg.watermarks
	if strategy == nil {
		strategy = Ascending()
	}
	idle := cfg.idleTimeout
	if c, ok := src.(interface{ Close() error }); ok {
		n.closeSource = c
	}
	n.run = func(ic *instanceCtx, out any) error {
		e := newEmitter(ic, out.(inlet[T]), extract, strategy, idle)
		err := src.Run(ic.rt.srcCtx, e)
		switch {
		case e.failed || ic.rt.failCtx.Err() != nil:
			return nil
		case ic.rt.userCtx.Err() != nil:
			e.finish(false)
			return nil
		case err != nil:
			return err
		}
		e.finish(true)
		return nil
	}
	return Stream[T]{n: n}
}

// Emitter is a source's output. It gathers elements into batches, stamps them
// with event time, generates watermarks and pushes batches through the stages
// chained after the source. It is not safe for concurrent use: only the
// goroutine running Source.Run may call it.
//
// The watermark a strategy generates is sent after each batch (when a batch
// fills, on Flush and on Tick), not after each element: an element is late
// only relative to watermarks sent before its batch. Sources that need exact
// control use NoWatermarks and call Watermark.
type Emitter[T any] struct {
	out inlet[T]
	t   *task
	// vals is out when it reads bulk values itself (EmitAll); direct is
	// such a batch of values, at time ingest, waiting for flush.
	vals    valuesInlet[T]
	direct  []T
	meta    *stageMeta
	buf     []Event[T]
	size    int
	extract func(T) time.Time

	// watermarks: the built-in bounded strategy is tracked inline (no call
	// per element); any other generator is called per element.
	gen      WatermarkGenerator
	bounded  bool
	bound    int64
	maxTs    int64
	lastWM   int64
	explicit bool

	ingest int64 // ingestion time of the current batch

	idleAfter int64
	lastSeen  int64
	active    bool
	idle      bool

	failed bool
	ckpt   CheckpointFuncs
	// lastBarrier is the id of the last barrier injected.
	lastBarrier uint64
}

func newEmitter[T any](ic *instanceCtx, out inlet[T], extract func(T) time.Time, s WatermarkStrategy, idle time.Duration) *Emitter[T] {
	e := &Emitter[T]{
		out: out, t: ic.t, meta: ic.n.meta, size: ic.rt.cfg.batchSize, extract: extract,
		maxTs: MinTime, lastWM: MinTime, idleAfter: int64(idle), lastSeen: time.Now().UnixNano(),
	}
	e.buf = make([]Event[T], 0, e.size)
	e.vals, _ = out.(valuesInlet[T])
	if b, ok := s.(boundedStrategy); ok {
		e.bounded, e.bound = true, int64(b)
	} else {
		e.gen = s.NewGenerator()
	}
	return e
}

// Emit emits v with its event time: from the source's EventTime extractor if
// one was given, else the processing time at which its batch started.
func (e *Emitter[T]) Emit(v T) {
	var ts int64
	if e.extract != nil {
		ts = e.extract(v).UnixNano()
	} else {
		if len(e.buf) == 0 {
			e.ingest = time.Now().UnixNano()
		}
		ts = e.ingest
	}
	e.EmitNanos(v, ts)
}

// EmitAll emits every element of vs in order, as Emit would, but without a
// call per element: the fast path for sources that read in bulk (Slice).
// vs is read during the call, never modified, and not retained; a Map or
// Filter chained right after the source may read whole batches of it in
// place instead of a copy.
func (e *Emitter[T]) EmitAll(vs []T) {
	if e.extract != nil || !e.bounded {
		for _, v := range vs {
			e.Emit(v)
		}
		return
	}
	for len(vs) > 0 {
		if len(e.buf) == 0 {
			e.ingest = time.Now().UnixNano()
			if e.vals != nil && len(vs) >= e.size {
				// A whole batch the next stage reads from vs itself.
				e.direct = vs[:e.size]
				e.maxTs = max(e.maxTs, e.ingest)
				vs = vs[e.size:]
				e.Flush()
				continue
			}
		}
		n := min(len(vs), e.size-len(e.buf))
		ts, start := e.ingest, len(e.buf)
		e.buf = e.buf[:start+n]
		dst := e.buf[start:]
		for i, v := range vs[:n] {
			dst[i] = Event[T]{Value: v, Time: ts}
		}
		if ts > e.maxTs {
			e.maxTs = ts
		}
		vs = vs[n:]
		if len(e.buf) >= e.size {
			e.Flush()
		}
	}
}

// EmitAt emits v at event time t (for sources whose records carry a
// timestamp, such as Kafka). A source's EventTime extractor, if any, is not
// consulted.
func (e *Emitter[T]) EmitAt(v T, t time.Time) { e.EmitNanos(v, t.UnixNano()) }

// EmitNanos emits v at event time ts in Unix nanoseconds.
func (e *Emitter[T]) EmitNanos(v T, ts int64) {
	if ts > e.maxTs { // the bounded strategy's watermark, and Reject's time
		e.maxTs = ts
	}
	if !e.bounded && !e.explicit { // (an explicit watermark replaces the generator)
		e.gen.OnEvent(ts)
	}
	e.buf = append(e.buf, Event[T]{Value: v, Time: ts})
	if len(e.buf) >= e.size {
		e.Flush()
	}
}

// Watermark advances the source's watermark to w explicitly, in order with
// the elements emitted so far (they are flushed first). A w not above the
// current watermark is ignored and flushes nothing. Use it in sources that
// know their input's progress better than a strategy can (a Kafka source
// merging partitions):
// from the first call on, the source's watermark strategy is no longer
// consulted, so the explicit watermark is the only one. Watermark(MinTime)
// at the start of Run takes over without emitting anything.
func (e *Emitter[T]) Watermark(w int64) {
	e.explicit = true
	if w <= e.lastWM {
		return
	}
	e.Flush()
	if !e.failed {
		if !e.t.protect(func() { e.advance(w) }) {
			e.failed = true
		}
	}
}

// CurrentWatermark returns the last watermark this source emitted.
func (e *Emitter[T]) CurrentWatermark() int64 { return e.lastWM }

// Flush pushes the elements gathered so far downstream now, followed by the
// watermark if it advanced. Sources call it before blocking on input for a
// long time; Emit flushes full batches by itself.
func (e *Emitter[T]) Flush() {
	if e.failed {
		e.buf, e.direct = e.buf[:0], nil
		return
	}
	if !e.t.protect(e.flush) {
		e.failed = true
		e.buf, e.direct = e.buf[:0], nil
	}
}

func (e *Emitter[T]) flush() {
	if len(e.buf) > 0 {
		e.active, e.idle = true, false
		e.meta.out.Add(uint64(len(e.buf)))
		e.out.batch(e.buf)
		e.buf = e.buf[:0]
	}
	if d := e.direct; len(d) > 0 { // (buf was empty when it was set)
		e.direct = nil
		e.active, e.idle = true, false
		e.meta.out.Add(uint64(len(d)))
		e.vals.values(d, e.ingest)
	}
	if !e.explicit {
		e.advance(e.generated())
	}
	e.maybeBarrier()
	if e.t.ticker != nil {
		select {
		case now := <-e.t.ticker.C:
			e.tick(now.UnixNano())
		default:
		}
	}
}

func (e *Emitter[T]) generated() int64 {
	if e.bounded {
		if e.maxTs == MinTime {
			return MinTime
		}
		return e.maxTs - e.bound - 1
	}
	return e.gen.Watermark()
}

func (e *Emitter[T]) advance(w int64) {
	if w > e.lastWM {
		e.lastWM = w
		e.meta.wms[0].Store(w)
		e.idle = false
		e.out.watermark(w)
	}
}

// Ticks delivers processing-time ticks at the pipeline's tick interval. A
// source waiting for input selects on it and calls Tick with what it received.
func (e *Emitter[T]) Ticks() <-chan time.Time { return e.t.tickC() }

// Tick does the periodic processing-time work of the source's task: it
// flushes a partial batch (the linger), asks the watermark strategy for its
// watermark (a generator may advance with processing time while no element
// comes), marks the source idle after its idle timeout without elements, and
// fires processing-time timers of the stages chained after it.
func (e *Emitter[T]) Tick(now time.Time) {
	if e.failed {
		return
	}
	if !e.t.protect(func() {
		if len(e.buf) > 0 {
			e.flush()
		} else if !e.explicit {
			e.advance(e.generated())
		}
		e.tick(now.UnixNano())
	}) {
		e.failed = true
	}
}

// maybeBarrier injects a barrier when the coordinator asked for a newer
// checkpoint than the last one this source took part in.
func (e *Emitter[T]) maybeBarrier() {
	if id := e.t.rt.ckpt.requested.Load(); id > e.lastBarrier {
		e.barrier(id)
	}
}

func (e *Emitter[T]) barrier(id uint64) {
	e.lastBarrier = id
	if e.ckpt.Prepare != nil {
		e.ckpt.Prepare(id)
	}
	b := barrier{id: id, retained: MaxTime}
	e.out.barrier(b)
	if e.t.dlq != nil {
		e.t.dlq.barrier(b)
	}
}

func (e *Emitter[T]) tick(now int64) {
	e.maybeBarrier()
	if e.active {
		e.active, e.lastSeen = false, now
	} else if e.idleAfter > 0 && !e.idle && now-e.lastSeen >= e.idleAfter {
		e.idle = true
		e.out.idle()
	}
	e.t.tick(now)
}

// Idle marks the source idle now, as its idle timeout would: stages it feeds
// stop waiting for its watermark until it emits again. Partial batches are
// flushed first.
func (e *Emitter[T]) Idle() {
	if e.failed {
		return
	}
	if !e.t.protect(func() {
		if len(e.buf) > 0 {
			e.flush()
		}
		if !e.idle {
			e.idle, e.active = true, false
			e.out.idle()
		}
	}) {
		e.failed = true
	}
}

// Reject applies the source's error policy to an input it cannot turn into an
// element: raw is the original bytes (may be nil; a dead letter keeps it, so
// the caller must not reuse its memory), meta optional origin
// information for a dead letter (may be nil). Under FailOnError it returns the
// error, wrapped in a StageError naming the source, and the source must
// return it; otherwise the input is counted (and dead-lettered, at the
// highest event time emitted so far, or the processing time before any) and
// Reject returns nil.
func (e *Emitter[T]) Reject(raw []byte, meta map[string]string, err error) (out error) {
	if e.meta.policy == FailOnError {
		return &StageError{Stage: e.meta.name, Err: err}
	}
	ts := MinTime
	if e.maxTs != MinTime {
		ts = e.maxTs
	}
	if !e.t.protect(func() { e.meta.reject(ts, nil, raw, meta, err, e.t.sendDeadLetter) }) {
		e.failed = true
		return context.Canceled
	}
	return nil
}

// finish ends the source's stream: the partial batch, the final watermark
// if the input is exhausted, then the end.
func (e *Emitter[T]) finish(final bool) {
	if len(e.buf) > 0 {
		e.meta.out.Add(uint64(len(e.buf)))
		e.out.batch(e.buf)
		e.buf = e.buf[:0]
	}
	if final {
		e.t.final = true
		e.advance(MaxTime)
	}
	e.barrier(finalCheckpoint)
	e.out.end()
}

// OnCheckpoint registers the source's checkpoint callbacks. Call it at the
// start of Run, before emitting. Without a call, barriers still flow (other
// sources may need them) but this source commits nothing.
func (e *Emitter[T]) OnCheckpoint(f CheckpointFuncs) {
	e.ckpt = f
	e.t.rt.ckpt.addSource(e.meta.name, f)
}
