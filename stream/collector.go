package stream

// Collector gathers an operator's output into batches and pushes them to the
// next stage. Emit and EmitAt may be called from the operator's methods only
// (ProcessBatch, OnWatermark, OnProcessingTime, OnEnd, or a keyed process
// function), never from another goroutine; the runtime flushes what is left
// when the method returns.
type Collector[T any] struct {
	buf  []Event[T]
	size int
	next inlet[T]
	meta *stageMeta
	// ts is the default event time of Emit: the time of the element being
	// processed, or of the timer or watermark being handled.
	ts int64
}

func newCollector[T any](ic *instanceCtx, next inlet[T]) *Collector[T] {
	return &Collector[T]{buf: make([]Event[T], 0, ic.rt.cfg.batchSize), size: ic.rt.cfg.batchSize, next: next, meta: ic.n.meta}
}

// Emit emits v at the current default event time (see SetTime).
func (c *Collector[T]) Emit(v T) { c.EmitAt(v, c.ts) }

// EmitAt emits v at event time ts (Unix nanoseconds). An element emitted at
// or before the current watermark may be late for the stages after this one.
func (c *Collector[T]) EmitAt(v T, ts int64) {
	// Stored in place rather than appended: append builds the element in a
	// temporary and copies it, which costs a store-forwarding stall for
	// larger elements. buf has capacity size (newCollector), and is flushed
	// as soon as it is full (or, after Append, at the next call).
	n := len(c.buf)
	if n >= c.size { // full (after Append)
		c.flush()
		n = 0
	}
	c.buf = c.buf[:n+1]
	e := &c.buf[n]
	e.Value, e.Time = v, ts
	if n+1 >= c.size {
		c.flush()
	}
}

// Append emits an element at event time ts and returns a pointer to its
// value, for the caller to set in place before its next call on c: the
// cheap way to emit a large struct, which EmitAt receives by value and
// copies (a value of more than four fields is passed through memory, and
// its copy stalls on the stores that just wrote it). The value is not
// zeroed (it may hold an element emitted earlier), so set all of it.
// Append may be called where EmitAt may; the element is pushed downstream
// with the rest of the batch.
func (c *Collector[T]) Append(ts int64) *T {
	// EmitAt's first half, not shared: EmitAt calling Append (a call more:
	// Go does not inline it) made the join pipelines slower in interleaved
	// runs of BenchmarkIntervalJoinPipeline (the variant is not kept).
	n := len(c.buf)
	if n >= c.size { // full (after Append)
		c.flush()
		n = 0
	}
	c.buf = c.buf[:n+1]
	e := &c.buf[n]
	e.Time = ts
	return &e.Value
}

// EmitBatch emits the elements of b, after those emitted before, as one
// batch handed to the next stage without a copy or a call per element: for
// operators that build their output in bulk. The next stage owns b during
// the call and may rewrite it in place (see Operator.ProcessBatch), so the
// caller may reuse b's memory once EmitBatch returns but not rely on its
// content. EmitBatch may be called where EmitAt may.
func (c *Collector[T]) EmitBatch(b []Event[T]) {
	if len(b) == 0 {
		return
	}
	c.flush()
	if c.meta != nil {
		c.meta.out.Add(uint64(len(b)))
	}
	c.next.batch(b)
}

// SetTime sets the default event time of Emit.
func (c *Collector[T]) SetTime(ts int64) { c.ts = ts }

func (c *Collector[T]) flush() {
	if len(c.buf) == 0 {
		return
	}
	if c.meta != nil {
		c.meta.out.Add(uint64(len(c.buf)))
	}
	c.next.batch(c.buf)
	// The buffer is reused without clearing, like every stage's: it keeps
	// at most one batch of stale elements alive.
	c.buf = c.buf[:0]
}
