package stream

import "context"

type mapInlet[I, O any] struct {
	meta  *stageMeta
	f     func(I) O
	next  inlet[O]
	buf   []Event[O]
	index int
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

func (x *mapInlet[I, O]) watermark(w int64) {
	x.meta.wms[x.index].Store(w)
	x.next.watermark(w)
}
func (x *mapInlet[I, O]) idle()             { x.next.idle() }
func (x *mapInlet[I, O]) barrier(b barrier) { x.next.barrier(b) }
func (x *mapInlet[I, O]) end()              { x.next.end() }

type mapErrInlet[I, O any] struct {
	meta  *stageMeta
	f     func(I) (O, error)
	next  inlet[O]
	buf   []Event[O]
	index int
	t     *task
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

func (x *mapErrInlet[I, O]) watermark(w int64) {
	x.meta.wms[x.index].Store(w)
	x.next.watermark(w)
}
func (x *mapErrInlet[I, O]) idle()             { x.next.idle() }
func (x *mapErrInlet[I, O]) barrier(b barrier) { x.next.barrier(b) }
func (x *mapErrInlet[I, O]) end()              { x.next.end() }

type filterInlet[T any] struct {
	meta  *stageMeta
	keep  func(T) bool
	next  inlet[T]
	buf   []Event[T]
	index int
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

func (x *filterInlet[T]) watermark(w int64) {
	x.meta.wms[x.index].Store(w)
	x.next.watermark(w)
}
func (x *filterInlet[T]) idle()             { x.next.idle() }
func (x *filterInlet[T]) barrier(b barrier) { x.next.barrier(b) }
func (x *filterInlet[T]) end()              { x.next.end() }

type flatMapInlet[I, O any] struct {
	meta  *stageMeta
	f     func(I, func(O))
	c     *Collector[O]
	emit  func(O)
	index int
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

func (x *flatMapInlet[I, O]) watermark(w int64) {
	x.meta.wms[x.index].Store(w)
	x.c.next.watermark(w)
}
func (x *flatMapInlet[I, O]) idle()             { x.c.next.idle() }
func (x *flatMapInlet[I, O]) barrier(b barrier) { x.c.next.barrier(b) }
func (x *flatMapInlet[I, O]) end()              { x.c.next.end() }

type unionInlet[T any] struct {
	meta  *stageMeta
	next  inlet[T]
	index int
}

func (x *unionInlet[T]) batch(in []Event[T]) {
	x.meta.in.Add(uint64(len(in)))
	x.meta.out.Add(uint64(len(in)))
	x.next.batch(in)
}
func (x *unionInlet[T]) watermark(w int64) {
	x.meta.wms[x.index].Store(w)
	x.next.watermark(w)
}
func (x *unionInlet[T]) idle()             { x.next.idle() }
func (x *unionInlet[T]) barrier(b barrier) { x.next.barrier(b) }
func (x *unionInlet[T]) end()              { x.next.end() }

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
