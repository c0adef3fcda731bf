package stream

import (
	"math/bits"
)

// ctl is the in-band control surface every stage instance receives, in order
// with its data: watermarks, idleness, and the end of its input.
type ctl interface {
	watermark(w int64)
	idle()
	barrier(b barrier)
	end()
}

// inlet receives batches of T. A batch is only valid during the call: an
// inlet that keeps elements must copy them. During the call the inlet owns
// the batch and may rewrite its elements in place (Map to the same type,
// Filter's compaction): no producer reads a batch after handing it on, and
// a fanout gives every consumer but the last its own copy.
type inlet[T any] interface {
	batch(b []Event[T])
	ctl
}

// outType carries the element-type specific runtime parts of a node's output.
type outType interface {
	fanout(targets []any) any
	writer(x *xedge, input int, rt *runtime) any
	newPool(n, size int) any
	deliverer(in any, pool any) func(data any)
	discard() any
}

type typedOut[T any] struct{}

func (typedOut[T]) fanout(targets []any) any {
	if len(targets) == 1 {
		return targets[0]
	}
	f := &fanout[T]{targets: make([]inlet[T], len(targets))}
	for i, t := range targets {
		f.targets[i] = t.(inlet[T])
	}
	return f
}

func (typedOut[T]) newPool(n, size int) any {
	return &batchPool[T]{free: make(chan *[]Event[T], n), size: size}
}

func (typedOut[T]) writer(x *xedge, input int, rt *runtime) any {
	w := &xwriter[T]{x: x, input: int32(input), pool: x.pool.(*batchPool[T]), size: rt.cfg.batchSize, done: rt.failCtx.Done()}
	if x.hash != nil && len(x.targets) > 1 {
		w.hash = x.hash.(func(T) uint64)
		w.pend = make([]*[]Event[T], len(x.targets))
		w.bufs = make([][]Event[T], len(x.targets))
	}
	return w
}

func (typedOut[T]) deliverer(in any, pool any) func(any) {
	dst, p := in.(inlet[T]), pool.(*batchPool[T])
	return func(data any) {
		b := data.(*[]Event[T])
		dst.batch(*b)
		p.put(b)
	}
}

func (typedOut[T]) discard() any { return discard[T]{} }

// fanout delivers to several consumers in turn, in the same goroutine. As
// consumers may rewrite a batch in place, every consumer but the last gets
// a copy.
type fanout[T any] struct {
	targets []inlet[T]
	copy    []Event[T]
}

func (f *fanout[T]) batch(b []Event[T]) {
	last := len(f.targets) - 1
	for _, t := range f.targets[:last] {
		f.copy = append(f.copy[:0], b...)
		t.batch(f.copy)
	}
	f.targets[last].batch(b)
}
func (f *fanout[T]) watermark(w int64) {
	for _, t := range f.targets {
		t.watermark(w)
	}
}
func (f *fanout[T]) idle() {
	for _, t := range f.targets {
		t.idle()
	}
}
func (f *fanout[T]) barrier(b barrier) {
	for _, t := range f.targets {
		t.barrier(b)
	}
}
func (f *fanout[T]) end() {
	for _, t := range f.targets {
		t.end()
	}
}

// discard is the output of an optional side stream nobody consumes.
type discard[T any] struct{}

func (discard[T]) batch([]Event[T]) {}
func (discard[T]) watermark(int64)  {}
func (discard[T]) idle()            {}
func (discard[T]) end()             {}
func (discard[T]) barrier(barrier)  {}

// batchPool recycles batches between the producers and consumers of one
// exchange edge, so the steady state allocates nothing.
type batchPool[T any] struct {
	free chan *[]Event[T]
	size int
}

func (p *batchPool[T]) get() *[]Event[T] {
	select {
	case b := <-p.free:
		*b = (*b)[:0]
		return b
	default:
		s := make([]Event[T], 0, p.size)
		return &s
	}
}

func (p *batchPool[T]) put(b *[]Event[T]) {
	select {
	case p.free <- b:
	default:
	}
}

type msgKind uint8

const (
	msgBatch msgKind = iota
	msgWatermark
	msgIdle
	msgEnd
	msgBarrier
)

// envelope is what travels through an exchange. data holds a *[]Event[T]
// (a pointer, so storing it in an interface does not allocate).
type envelope struct {
	input int32
	port  int32
	kind  msgKind
	wm    int64
	data  any
	bar   barrier
}

// inbox is the bounded queue in front of one exchange-fed task instance.
type inbox struct {
	ch chan envelope
}

// xedge is an exchange edge from one producer node to one consumer node's
// port: all consumer instances' inboxes, the key hash for partitioned edges,
// and the batch pool.
type xedge struct {
	targets []*inbox
	port    int32
	hash    any // func(T) uint64 or nil
	pool    any // *batchPool[T]
	base    int // input index of producer instance 0 at each consumer
	// consumer is the consuming stage: a panic in the key function (user
	// code, run here to partition) is attributed to it.
	consumer *stageMeta
}

// errAborted unwinds a task whose pipeline already failed; it is never
// reported.
var errAborted = &failure{}

// xwriter is the producer side of an exchange edge: an inlet that copies
// batches into pooled buffers and sends them, partitioned by key hash when the
// edge is keyed. Sending blocks while the consumer's inbox is full: that is
// the backpressure.
type xwriter[T any] struct {
	x     *xedge
	input int32
	hash  func(T) uint64
	pend  []*[]Event[T]
	bufs  [][]Event[T]
	pool  *batchPool[T]
	size  int
	done  <-chan struct{}
}

func (w *xwriter[T]) send(t int, env envelope) {
	env.input, env.port = w.input, w.x.port
	select {
	case w.x.targets[t].ch <- env:
	case <-w.done:
		panic(errAborted)
	}
}

func (w *xwriter[T]) batch(b []Event[T]) {
	if w.hash == nil {
		for len(b) > 0 {
			n := min(len(b), w.size)
			nb := w.pool.get()
			*nb = append(*nb, b[:n]...)
			w.send(0, envelope{kind: msgBatch, data: nb})
			b = b[n:]
		}
		return
	}
	// bufs[t] is a view of the pooled batch pend[t], appended to locally
	// (no store through the pointer per element).
	defer w.x.consumer.guard()
	n, bufs, hash := uint64(len(w.pend)), w.bufs, w.hash
	for t := range bufs {
		if w.pend[t] == nil {
			w.pend[t] = w.pool.get()
			bufs[t] = (*w.pend[t])[:0]
		}
	}
	for i := range b {
		t, _ := bits.Mul64(hash(b[i].Value), n)
		bufs[t] = append(bufs[t], b[i])
		if len(bufs[t]) >= w.size {
			p := w.pend[t]
			*p = bufs[t]
			w.pend[t] = w.pool.get()
			bufs[t] = (*w.pend[t])[:0]
			w.send(int(t), envelope{kind: msgBatch, data: p})
		}
	}
	w.flush()
}

func (w *xwriter[T]) flush() {
	for t, p := range w.pend {
		if p != nil && len(w.bufs[t]) > 0 {
			*p = w.bufs[t]
			w.pend[t], w.bufs[t] = nil, nil
			w.send(t, envelope{kind: msgBatch, data: p})
		}
	}
}

func (w *xwriter[T]) all(env envelope) {
	w.flush()
	for t := range w.x.targets {
		w.send(t, env)
	}
}

func (w *xwriter[T]) watermark(wm int64) { w.all(envelope{kind: msgWatermark, wm: wm}) }
func (w *xwriter[T]) idle()              { w.all(envelope{kind: msgIdle}) }
func (w *xwriter[T]) end()               { w.all(envelope{kind: msgEnd}) }
func (w *xwriter[T]) barrier(b barrier)  { w.all(envelope{kind: msgBarrier, bar: b}) }
