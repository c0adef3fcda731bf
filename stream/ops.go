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

type mapInlet[I, O any] struct {
	pass[O]
	f   func(I) O
	buf []Event[O]
}

func (x *mapInlet[I, O]) batch(in []Event[I]) {
	defer x.meta.guard()
	if len(in) > len(x.buf) {
		x.buf = make([]Event[O], len(in))
	}
	out, f := x.buf[:len(in)], x.f
	for i := range in {
		out[i] = Event[O]{Value: f(in[i].Value), Time: in[i].Time}
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

type filterInlet[T any] struct {
	pass[T]
	keep func(T) bool
	buf  []Event[T]
}

func (x *filterInlet[T]) batch(in []Event[T]) {
	defer x.meta.guard()
	if len(in) > len(x.buf) {
		x.buf = make([]Event[T], len(in))
	}
	out, keep, n := x.buf[:len(in)], x.keep, 0
	for i := range in {
		// Branch-free: always store, advance only when kept.
		out[n] = in[i]
		if keep(in[i].Value) {
			n++
		}
	}
	x.meta.in.Add(uint64(len(in)))
	x.meta.out.Add(uint64(n))
	if d := len(in) - n; d > 0 {
		x.meta.dropped.Add(uint64(d))
	}
	if n > 0 {
		x.next.batch(out[:n])
	}
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
