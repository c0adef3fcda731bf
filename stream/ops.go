package stream

import "context"

// pass is the control surface of a stateless stage: it records the
// watermark and forwards control downstream unchanged.
type pass[O any] struct {
	meta  *stageMeta
	next  inlet[O]
	index int
}

func (p *pass[O]) watermark(w int64) {
	p.meta.wms[p.index].Store(w)
	p.next.watermark(w)
}
func (p *pass[O]) idle()             { p.next.idle() }
func (p *pass[O]) barrier(b barrier) { p.next.barrier(b) }
func (p *pass[O]) end()              { p.next.end() }

// valuesInlet is implemented by the stages that read a source's values in
// bulk (Emitter.EmitAll): a batch of bare values, all at event time ts, that
// the stage reads but does not own (it may be the source's own input, such as
// Slice's slice) and must not keep. The stage writes its output to its own
// buffer, so the source does not build a batch of Events only for the stage
// to rewrite it: one pass over memory less per element.
type valuesInlet[T any] interface {
	values(vs []T, ts int64)
}

type mapInlet[I, O any] struct {
	pass[O]
	f   func(I) O
	buf []Event[O]
}

func (x *mapInlet[I, O]) values(vs []I, ts int64) { mapValues(&x.pass, x.f, vs, ts, &x.buf) }

// mapValues is the values method of both Map forms: it writes f of each of
// vs, at time ts, to *buf (grown if short), counts, and hands the result to
// the next stage. It is unrolled like mapInlet.batch.
func mapValues[I, O any](p *pass[O], f func(I) O, vs []I, ts int64, buf *[]Event[O]) {
	defer p.meta.guard()
	if len(vs) > len(*buf) {
		*buf = make([]Event[O], len(vs))
	}
	out := (*buf)[:len(vs)]
	a, o := vs, out
	for len(a) >= 8 && len(o) >= 8 {
		// The times first, while ts is in a register: each call of f
		// would make the compiler reload it.
		o[0].Time, o[1].Time, o[2].Time, o[3].Time = ts, ts, ts, ts
		o[4].Time, o[5].Time, o[6].Time, o[7].Time = ts, ts, ts, ts
		o[0].Value = f(a[0])
		o[1].Value = f(a[1])
		o[2].Value = f(a[2])
		o[3].Value = f(a[3])
		o[4].Value = f(a[4])
		o[5].Value = f(a[5])
		o[6].Value = f(a[6])
		o[7].Value = f(a[7])
		a, o = a[8:], o[8:]
	}
	for i := range min(len(a), len(o)) {
		o[i] = Event[O]{Value: f(a[i]), Time: ts}
	}
	p.meta.in.Add(uint64(len(vs)))
	p.meta.out.Add(uint64(len(vs)))
	p.next.batch(out)
}

func (x *mapInlet[I, O]) batch(in []Event[I]) {
	defer x.meta.guard()
	if len(in) > len(x.buf) {
		x.buf = make([]Event[O], len(in))
	}
	out, f := x.buf[:len(in)], x.f
	// Unrolled by eight: Go spills the loop's state around every call of f,
	// and the unrolled body pays that spill-and-reload chain once per eight
	// calls instead of once per call. The loops walk by re-slicing (a =
	// a[8:]), so that after each call only a's pointer is reloaded, not a
	// base and an index. BenchmarkMapStage measures this on the in-place
	// form (mapSameInlet), BenchmarkFilterStage on Filter; this copying form
	// is unrolled the same way, unmeasured on its own.
	a, o := in, out
	for len(a) >= 8 && len(o) >= 8 {
		o[0] = Event[O]{Value: f(a[0].Value), Time: a[0].Time}
		o[1] = Event[O]{Value: f(a[1].Value), Time: a[1].Time}
		o[2] = Event[O]{Value: f(a[2].Value), Time: a[2].Time}
		o[3] = Event[O]{Value: f(a[3].Value), Time: a[3].Time}
		o[4] = Event[O]{Value: f(a[4].Value), Time: a[4].Time}
		o[5] = Event[O]{Value: f(a[5].Value), Time: a[5].Time}
		o[6] = Event[O]{Value: f(a[6].Value), Time: a[6].Time}
		o[7] = Event[O]{Value: f(a[7].Value), Time: a[7].Time}
		a, o = a[8:], o[8:]
	}
	for i := range min(len(a), len(o)) {
		o[i] = Event[O]{Value: f(a[i].Value), Time: a[i].Time}
	}
	x.meta.in.Add(uint64(len(in)))
	x.meta.out.Add(uint64(len(in)))
	x.next.batch(out)
}

type mapErrInlet[I, O any] struct {
	pass[O]
	f   func(I) (O, error)
	buf []Event[O]
	t   *task
}

func (x *mapErrInlet[I, O]) batch(in []Event[I]) {
	defer x.meta.guard()
	out := x.buf[:0]
	for i := range in {
		v, err := x.f(in[i].Value)
		if err != nil {
			x.meta.reject(in[i].Time, in[i].Value, nil, nil, err, x.t.sendDeadLetter)
			continue
		}
		out = append(out, Event[O]{Value: v, Time: in[i].Time})
	}
	x.buf = out[:0]
	x.meta.in.Add(uint64(len(in)))
	x.meta.out.Add(uint64(len(out)))
	if len(out) > 0 {
		x.next.batch(out)
	}
}

// mapSameInlet is Map to the element's own type, rewriting the batch in
// place: one buffer less to keep in cache. buf is only for values, which it
// must not rewrite.
type mapSameInlet[T any] struct {
	pass[T]
	f   func(T) T
	buf []Event[T]
}

func (x *mapSameInlet[T]) values(vs []T, ts int64) { mapValues(&x.pass, x.f, vs, ts, &x.buf) }

func (x *mapSameInlet[T]) batch(in []Event[T]) {
	defer x.meta.guard()
	f := x.f
	a := in // unrolled like mapInlet.batch
	for len(a) >= 8 {
		a[0].Value = f(a[0].Value)
		a[1].Value = f(a[1].Value)
		a[2].Value = f(a[2].Value)
		a[3].Value = f(a[3].Value)
		a[4].Value = f(a[4].Value)
		a[5].Value = f(a[5].Value)
		a[6].Value = f(a[6].Value)
		a[7].Value = f(a[7].Value)
		a = a[8:]
	}
	for i := range a {
		a[i].Value = f(a[i].Value)
	}
	x.meta.in.Add(uint64(len(in)))
	x.meta.out.Add(uint64(len(in)))
	x.next.batch(in)
}

// filterInlet compacts the kept elements in place (into buf for values,
// which it must not rewrite).
type filterInlet[T any] struct {
	pass[T]
	keep func(T) bool
	buf  []Event[T]
}

func (x *filterInlet[T]) values(vs []T, ts int64) {
	defer x.meta.guard()
	if len(vs) > len(x.buf) {
		x.buf = make([]Event[T], len(vs))
	}
	out, keep, n := x.buf, x.keep, 0
	// As in batch; n <= len(vs)-len(a), so out[n:n+8] is within
	// out[:len(vs)].
	a := vs
	for len(a) >= 8 {
		k0, k1, k2, k3 := keep(a[0]), keep(a[1]), keep(a[2]), keep(a[3])
		k4, k5, k6, k7 := keep(a[4]), keep(a[5]), keep(a[6]), keep(a[7])
		o := out[n : n+8 : n+8]
		o[0] = Event[T]{Value: a[0], Time: ts}
		j := b2i(k0)
		o[j] = Event[T]{Value: a[1], Time: ts}
		j += b2i(k1)
		o[j] = Event[T]{Value: a[2], Time: ts}
		j += b2i(k2)
		o[j] = Event[T]{Value: a[3], Time: ts}
		j += b2i(k3)
		o[j] = Event[T]{Value: a[4], Time: ts}
		j += b2i(k4)
		o[j] = Event[T]{Value: a[5], Time: ts}
		j += b2i(k5)
		o[j] = Event[T]{Value: a[6], Time: ts}
		j += b2i(k6)
		o[j] = Event[T]{Value: a[7], Time: ts}
		j += b2i(k7)
		n += j
		a = a[8:]
	}
	for i := range a {
		out[n] = Event[T]{Value: a[i], Time: ts}
		if keep(a[i]) {
			n++
		}
	}
	x.handOn(len(vs), out[:n])
}

func (x *filterInlet[T]) batch(in []Event[T]) {
	defer x.meta.guard()
	out, keep, n := in, x.keep, 0
	// Unrolled by eight like mapInlet.batch: the eight decisions are taken
	// first, then the kept elements are compacted branch-free (always store,
	// advance only when kept). a is in[len(in)-len(a):], and n <= that
	// index, so out[n:n+8] is in range and overwrites only elements already
	// read.
	a := in
	for len(a) >= 8 {
		k0, k1, k2, k3 := keep(a[0].Value), keep(a[1].Value), keep(a[2].Value), keep(a[3].Value)
		k4, k5, k6, k7 := keep(a[4].Value), keep(a[5].Value), keep(a[6].Value), keep(a[7].Value)
		o := out[n : n+8 : n+8]
		o[0] = a[0]
		j := b2i(k0)
		o[j] = a[1]
		j += b2i(k1)
		o[j] = a[2]
		j += b2i(k2)
		o[j] = a[3]
		j += b2i(k3)
		o[j] = a[4]
		j += b2i(k4)
		o[j] = a[5]
		j += b2i(k5)
		o[j] = a[6]
		j += b2i(k6)
		o[j] = a[7]
		j += b2i(k7)
		n += j
		a = a[8:]
	}
	for i := range a {
		out[n] = a[i]
		if keep(a[i].Value) {
			n++
		}
	}
	x.handOn(len(in), out[:n])
}

// handOn counts a batch of n elements of which out were kept, and hands out on.
func (x *filterInlet[T]) handOn(n int, out []Event[T]) {
	x.meta.in.Add(uint64(n))
	x.meta.out.Add(uint64(len(out)))
	if d := n - len(out); d > 0 {
		x.meta.dropped.Add(uint64(d))
	}
	if len(out) > 0 {
		x.next.batch(out)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tapInlet calls f on each element and passes the batch on unchanged.
type tapInlet[T any] struct {
	pass[T]
	f func(T)
}

func (x *tapInlet[T]) batch(in []Event[T]) {
	defer x.meta.guard()
	for i := range in {
		x.f(in[i].Value)
	}
	x.meta.in.Add(uint64(len(in)))
	x.meta.out.Add(uint64(len(in)))
	x.next.batch(in)
}

type flatMapInlet[I, O any] struct {
	pass[O] // next is the collector's
	f       func(I, func(O))
	c       *Collector[O]
	emit    func(O)
}

func (x *flatMapInlet[I, O]) batch(in []Event[I]) {
	defer x.meta.guard()
	x.meta.in.Add(uint64(len(in)))
	for i := range in {
		x.c.ts = in[i].Time
		x.f(in[i].Value, x.emit)
	}
	x.c.flush()
}

type unionInlet[T any] struct{ pass[T] }

func (x *unionInlet[T]) batch(in []Event[T]) {
	x.meta.in.Add(uint64(len(in)))
	x.meta.out.Add(uint64(len(in)))
	x.next.batch(in)
}

type sinkInlet[T any] struct {
	rt    *runtime
	id    int // index among the pipeline's sink instances
	meta  *stageMeta
	sink  Sink[T]
	ctx   context.Context
	index int
	dirty bool // written since the last Flush
}

func (x *sinkInlet[T]) batch(in []Event[T]) {
	defer x.meta.guard()
	x.meta.in.Add(uint64(len(in)))
	x.dirty = true
	if err := x.sink.Write(x.ctx, in); err != nil {
		x.meta.fail(err)
	}
}

func (x *sinkInlet[T]) watermark(w int64) { x.meta.wms[x.index].Store(w) }
func (x *sinkInlet[T]) idle()             {}
func (x *sinkInlet[T]) barrier(b barrier) {
	func() {
		defer x.meta.guard()
		x.dirty = false
		if err := x.sink.Flush(x.ctx); err != nil {
			x.meta.fail(err)
		}
	}()
	x.rt.ack(x.id, b)
}

func (x *sinkInlet[T]) end() {
	defer x.rt.sinkEnded(x.id)
	defer x.meta.guard()
	if !x.dirty {
		return
	}
	if err := x.sink.Flush(x.ctx); err != nil {
		x.meta.fail(err)
	}
}

type closer struct {
	name string
	c    interface{ Close() error }
}
