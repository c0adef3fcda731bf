package stream

import (
	"context"
)

// Operator is a one-input stage implemented outside this package (the window
// and join packages are built on it). It is the low-level extension point;
// most users want Map, FlatMap, Process or the window package instead.
//
// The runtime calls an instance's methods from one goroutine, in stream
// order: batches, then the watermark that follows them. It never calls them
// concurrently, so an Operator needs no locks. Output goes through the
// OpContext's collectors. A panic in any method fails the pipeline with an
// error naming the stage.
type Operator[I any] interface {
	// ProcessBatch handles elements. The batch is valid only during the call;
	// the operator may rewrite its elements in place.
	ProcessBatch(batch []Event[I])
	// OnWatermark handles an advance of the input watermark to wm (MaxTime
	// at the end of bounded input). It is forwarded downstream after the call.
	OnWatermark(wm int64)
	// OnEnd is called once when the input has ended: after OnWatermark(MaxTime)
	// when bounded input was exhausted, without it when the run was cancelled
	// (an operator should then not emit results it would not emit otherwise).
	OnEnd()
}

// ProcessingTimeOperator is implemented by operators that want periodic
// processing-time callbacks (early-firing triggers, processing-time timers).
// now is Unix nanoseconds; the period is the pipeline's tick interval.
type ProcessingTimeOperator interface {
	OnProcessingTime(now int64)
}

// Operator2 is a two-input stage (joins). Its inputs' watermarks are merged:
// OnWatermark receives the minimum of both.
type Operator2[L, R any] interface {
	ProcessLeft(batch []Event[L])
	ProcessRight(batch []Event[R])
	OnWatermark(wm int64)
	OnEnd()
}

// OpContext is what an Operator instance gets from the runtime: its output,
// the current watermark and the error policy of its stage.
type OpContext[O any] struct {
	// Out is the operator's main output.
	Out *Collector[O]

	ic    *instanceCtx
	wm    int64
	sides []sideOutput
}

type sideOutput interface {
	flush()
	downstream() ctl
}

func (c *Collector[T]) downstream() ctl { return c.next }

// Watermark returns the input watermark as of the current call (MinTime
// before the first).
func (c *OpContext[O]) Watermark() int64 { return c.wm }

// Instance returns the operator's index among its stage's parallel instances
// and their count.
func (c *OpContext[O]) Instance() (index, count int) { return c.ic.index, c.ic.n.par }

// Stage returns the stage's name.
func (c *OpContext[O]) Stage() string { return c.ic.n.meta.name }

// Context returns a context cancelled when the pipeline fails.
func (c *OpContext[O]) Context() context.Context { return c.ic.rt.failCtx }

// CountLate adds n to the stage's Late metric (and tells LateHooks).
func (c *OpContext[O]) CountLate(n int) { c.ic.n.meta.countLate(n) }

// CountDropped adds n to the stage's Dropped metric.
func (c *OpContext[O]) CountDropped(n int) {
	if n > 0 {
		c.ic.n.meta.dropped.Add(uint64(n))
	}
}

// Reject applies the stage's error policy to one element that failed:
// FailOnError fails the pipeline (Reject does not return), SkipOnError counts
// it, DeadLetterOnError sends value (and raw bytes, if any) to the dead
// letters.
func (c *OpContext[O]) Reject(ts int64, value any, raw []byte, err error) {
	c.ic.n.meta.reject(ts, value, raw, nil, err, c.ic.t.sendDeadLetter)
}

// Fail fails the pipeline with err, attributed to this stage. It does not
// return.
func (c *OpContext[O]) Fail(err error) { c.ic.n.meta.fail(err) }

func (c *OpContext[O]) flush() {
	c.Out.flush()
	for _, s := range c.sides {
		s.flush()
	}
}

func (c *OpContext[O]) forward(f func(ctl)) {
	f(c.Out.next)
	for _, s := range c.sides {
		f(s.downstream())
	}
}

// Apply adds a one-input stage built from an Operator. newOp is called once
// per parallel instance when the pipeline runs; kind names the stage when no
// Name option is given. The stage runs with the parallelism of its input.
func Apply[I, O any](s Stream[I], kind string, newOp func(*OpContext[O]) Operator[I], opts ...StageOption) Stream[O] {
	n := opNode[I, O](s.n, nil, 0, kind, opts)
	buildOp(n, func(c *OpContext[O], _ *instanceCtx) Operator[I] { return newOp(c) })
	return Stream[O]{n: n}
}

// ApplyKeyed adds a keyed one-input stage: the stream is partitioned by key
// over the KeyBy's parallelism, so every element of a key reaches the same
// instance.
func ApplyKeyed[K comparable, I, O any](ks KeyedStream[K, I], kind string, newOp func(*OpContext[O]) Operator[I], opts ...StageOption) Stream[O] {
	n := opNode[I, O](ks.n, ks.hashFunc(kind), ks.par, kind, opts)
	buildOp(n, func(c *OpContext[O], _ *instanceCtx) Operator[I] { return newOp(c) })
	return Stream[O]{n: n}
}

// ApplyKeyedWithSide is ApplyKeyed for operators with a side output (a
// window's late elements). The side stream may be left unconsumed: what the
// operator emits to it is then discarded (the operator should still count
// it). The side stream is named after the stage with ".side" appended.
func ApplyKeyedWithSide[K comparable, I, O, S any](ks KeyedStream[K, I], kind string, newOp func(c *OpContext[O], side *Collector[S]) Operator[I], opts ...StageOption) (Stream[O], Stream[S]) {
	n := opNode[I, O](ks.n, ks.hashFunc(kind), ks.par, kind, opts)
	side := newSide[S](n, ".side")
	buildOp(n, func(c *OpContext[O], ic *instanceCtx) Operator[I] {
		return newOp(c, sideCollector[S](c, side, ic))
	})
	return Stream[O]{n: n}, Stream[S]{n: side}
}

// newSide adds an optional side output of n, named after n with suffix.
func newSide[S any](n *node, suffix string) *node {
	side := newNode[S](n.p, kindOp, "", &stageConfig{name: n.meta.name + suffix})
	side.optional = true
	side.sideOf = n
	side.inputs = []edge{{from: n}}
	side.build = func(ic *instanceCtx, out any) []any { return []any{out} }
	return side
}

// sideCollector returns the collector of side for the instance being built,
// registered with c so that it is flushed and forwarded control with c.Out.
func sideCollector[S, O any](c *OpContext[O], side *node, ic *instanceCtx) *Collector[S] {
	sc := newCollector(ic, ic.rt.instances[side.id][ic.index][0].(inlet[S]))
	sc.meta = side.meta
	c.sides = append(c.sides, sc)
	return sc
}

func opNode[I, O any](in *node, hash any, par int, kind string, opts []StageOption) *node {
	cfg := applyStageOptions(opts)
	p := pipelineOf(in, kind)
	n := newNode[O](p, kindOp, kind, cfg)
	if !p.own(in, n.meta.name) {
		return n
	}
	n.inputs = []edge{{from: in, hash: hash}}
	n.keyedPar = par
	return n
}

func buildOp[I, O any](n *node, newOp func(*OpContext[O], *instanceCtx) Operator[I]) {
	n.build = func(ic *instanceCtx, out any) []any {
		c := &OpContext[O]{Out: newCollector(ic, out.(inlet[O])), ic: ic, wm: MinTime}
		op := newOp(c, ic)
		if op == nil {
			n.meta.fail(errNilOperator)
		}
		x := &opInlet[I, O]{opCtl: opCtl[O]{meta: n.meta, op: op, c: c, index: ic.index}, in: op}
		if pt, ok := op.(ProcessingTimeOperator); ok {
			x.pt = pt
			ic.t.timers = append(ic.t.timers, x)
		}
		return []any{x}
	}
}

// opCtl is the control half shared by one- and two-input operator instances:
// watermarks, idleness, barriers, the end and processing time.
type opCtl[O any] struct {
	meta *stageMeta
	op   interface {
		OnWatermark(int64)
		OnEnd()
	}
	pt    ProcessingTimeOperator
	c     *OpContext[O]
	index int
}

func (x *opCtl[O]) watermark(w int64) {
	defer x.meta.guard()
	x.c.wm = w
	x.meta.wms[x.index].Store(w)
	x.c.Out.ts = w
	x.op.OnWatermark(w)
	x.c.flush()
	x.c.forward(func(c ctl) { c.watermark(w) })
}

func (x *opCtl[O]) idle() { x.c.forward(ctl.idle) }

func (x *opCtl[O]) barrier(b barrier) {
	func() {
		defer x.meta.guard()
		x.c.flush()
		b = b.through(x.op)
	}()
	x.c.forward(func(c ctl) { c.barrier(b) })
}

func (x *opCtl[O]) end() {
	func() {
		defer x.meta.guard()
		x.op.OnEnd()
		x.c.flush()
	}()
	x.c.forward(ctl.end)
}

func (x *opCtl[O]) onProcTime(now int64) {
	defer x.meta.guard()
	x.pt.OnProcessingTime(now)
	x.c.flush()
}

// opInlet runs an Operator inside a chain.
type opInlet[I, O any] struct {
	opCtl[O]
	in Operator[I]
}

func (x *opInlet[I, O]) batch(b []Event[I]) {
	defer x.meta.guard()
	x.meta.in.Add(uint64(len(b)))
	x.in.ProcessBatch(b)
	x.c.flush()
}
