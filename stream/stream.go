package stream

import (
	"context"
	"hash/maphash"
)

// Stream is a typed stream of elements in a Pipeline. It is a handle used to
// build stages; it holds no data. The zero Stream is invalid. A Stream may be
// consumed by several stages: each receives every element.
type Stream[T any] struct{ n *node }

// Pipeline returns the pipeline the stream belongs to.
func (s Stream[T]) Pipeline() *Pipeline { return s.n.p }

// Name returns the name of the stage that produces the stream.
func (s Stream[T]) Name() string { return s.n.meta.name }

// KeyedStream is a stream partitioned by a comparable key: keyed stages after
// it (Process, Dedupe, windows, joins) see every element of a key in one
// instance, so keyed state needs no locks. Obtain one with KeyBy.
type KeyedStream[K comparable, T any] struct {
	n   *node
	key func(T) K
	par int
}

// Key returns the key extractor.
func (ks KeyedStream[K, T]) Key() func(T) K { return ks.key }

// Stream returns the keyed stream's elements as a plain stream. It does not
// partition anything: stages applied to it run where the stream was produced,
// not per key. Use a keyed stage (Process, Dedupe, window, join) to work per
// key.
func (ks KeyedStream[K, T]) Stream() Stream[T] { return Stream[T]{n: ks.n} }

// Pipeline returns the pipeline the stream belongs to.
func (ks KeyedStream[K, T]) Pipeline() *Pipeline { return ks.n.p }

func (ks KeyedStream[K, T]) hashFunc() any { return partitionHash(ks.n.p.seed(), ks.key) }

func (p *Pipeline) seed() maphash.Seed {
	if !p.seeded {
		p.hashSeed, p.seeded = maphash.MakeSeed(), true
	}
	return p.hashSeed
}

// KeyBy partitions s by the key f returns. Options: Parallelism (how many
// instances run the keyed stages that follow; default WithParallelism).
// KeyBy itself is not a stage: it costs nothing until a keyed stage consumes
// it. Keys are spread over instances by a hash that is stable for one run of
// one process (not across processes: use a Kafka repartition topic for that).
func KeyBy[K comparable, T any](s Stream[T], f func(T) K, opts ...StageOption) KeyedStream[K, T] {
	cfg := applyStageOptions(opts)
	if f == nil {
		s.n.p.errorf("KeyBy after %q: nil key function", s.n.meta.name)
	}
	if cfg.parallelismSet && cfg.parallelism < 1 {
		s.n.p.errorf("KeyBy after %q: parallelism %d < 1", s.n.meta.name, cfg.parallelism)
	}
	return KeyedStream[K, T]{n: s.n, key: f, par: cfg.parallelism}
}

// Map transforms each element with f. The event time is kept.
func Map[I, O any](s Stream[I], f func(I) O, opts ...StageOption) Stream[O] {
	n := chainNode[I, O](s, "map", opts)
	if f == nil {
		n.p.errorf("stage %q: nil function", n.meta.name)
	}
	n.build = func(ic *instanceCtx, out any) []any {
		if g, ok := any(f).(func(I) I); ok { // O is I: rewrite in place
			return []any{&mapSameInlet[I]{pass: pass[I]{n.meta, out.(inlet[I]), ic.index}, f: g}}
		}
		return []any{&mapInlet[I, O]{pass: pass[O]{n.meta, out.(inlet[O]), ic.index}, f: f, buf: make([]Event[O], ic.rt.cfg.batchSize)}}
	}
	return Stream[O]{n: n}
}

// MapErr transforms each element with f; an element for which f returns an
// error follows the stage's error policy (fail, skip or dead-letter with the
// original element).
func MapErr[I, O any](s Stream[I], f func(I) (O, error), opts ...StageOption) Stream[O] {
	n := chainNode[I, O](s, "map", opts)
	if f == nil {
		n.p.errorf("stage %q: nil function", n.meta.name)
	}
	n.build = func(ic *instanceCtx, out any) []any {
		return []any{&mapErrInlet[I, O]{pass: pass[O]{n.meta, out.(inlet[O]), ic.index}, f: f, buf: make([]Event[O], 0, ic.rt.cfg.batchSize), t: ic.t}}
	}
	return Stream[O]{n: n}
}

// Filter keeps the elements for which keep returns true; the others are
// counted as Dropped.
func Filter[T any](s Stream[T], keep func(T) bool, opts ...StageOption) Stream[T] {
	n := chainNode[T, T](s, "filter", opts)
	if keep == nil {
		n.p.errorf("stage %q: nil function", n.meta.name)
	}
	n.build = func(ic *instanceCtx, out any) []any {
		return []any{&filterInlet[T]{pass: pass[T]{n.meta, out.(inlet[T]), ic.index}, keep: keep}}
	}
	return Stream[T]{n: n}
}

// FlatMap calls f for each element; f emits zero or more outputs through
// emit, each at the input element's event time. emit must not be kept or
// called after f returns.
func FlatMap[I, O any](s Stream[I], f func(v I, emit func(O)), opts ...StageOption) Stream[O] {
	n := chainNode[I, O](s, "flatmap", opts)
	if f == nil {
		n.p.errorf("stage %q: nil function", n.meta.name)
	}
	n.build = func(ic *instanceCtx, out any) []any {
		x := &flatMapInlet[I, O]{pass: pass[O]{n.meta, out.(inlet[O]), ic.index}, f: f, c: newCollector(ic, out.(inlet[O]))}
		x.emit = x.c.Emit
		return []any{x}
	}
	return Stream[O]{n: n}
}

// Tap calls f for each element and passes the element on unchanged (for
// logging, debugging, side effects). f must not keep the element if it
// contains pointers the pipeline will reuse.
func Tap[T any](s Stream[T], f func(T), opts ...StageOption) Stream[T] {
	n := chainNode[T, T](s, "tap", opts)
	if f == nil {
		n.p.errorf("stage %q: nil function", n.meta.name)
	}
	n.build = func(ic *instanceCtx, out any) []any {
		return []any{&tapInlet[T]{pass: pass[T]{n.meta, out.(inlet[T]), ic.index}, f: f}}
	}
	return Stream[T]{n: n}
}

// Union merges streams of one type into one. Its watermark is the minimum of
// its inputs' (ignoring idle ones). Elements of one input keep their order;
// inputs interleave in no defined order. Union runs as its own task behind a
// bounded exchange. Union of no streams is an invalid pipeline.
func Union[T any](streams ...Stream[T]) Stream[T] {
	if len(streams) == 0 || streams[0].n == nil {
		p := New()
		p.errorf("Union of no streams")
		return Stream[T]{n: newNode[T](p, kindUnion, "union", nil)}
	}
	p := streams[0].n.p
	n := newNode[T](p, kindUnion, "union", nil)
	for _, s := range streams {
		if p.own(s.n, n.meta.name) {
			n.inputs = append(n.inputs, edge{from: s.n})
		}
	}
	n.build = func(ic *instanceCtx, out any) []any {
		x := &unionInlet[T]{pass[T]{n.meta, out.(inlet[T]), ic.index}}
		ports := make([]any, len(n.inputs))
		for i := range ports {
			ports[i] = x
		}
		return ports
	}
	return Stream[T]{n: n}
}

// Sink consumes a stream at the end of a pipeline. The runtime calls Write
// with batches from one goroutine at a time (a sink fed by several parallel
// instances is fed through an exchange) and Flush at every checkpoint
// barrier (the checkpoint completes only when every sink has flushed) and
// when its input ends if it wrote since (also after a cancelled run: data
// that reached the sink is flushed). Flush may thus be called several times, also with nothing
// written since the last call.
// A sink that also implements io.Closer is closed once when Run finishes,
// whatever the outcome.
//
// ctx is cancelled when the pipeline fails (or is stopped hard after the
// drain timeout): a Write that blocks must return when it is done. The batch
// is valid only during the call (the sink may rewrite it in place). An
// error from Write or Flush fails the pipeline.
type Sink[T any] interface {
	Write(ctx context.Context, batch []Event[T]) error
	Flush(ctx context.Context) error
}

// To ends s in sink. The stage is named "sink#N" unless a Name option is
// given.
func To[T any](s Stream[T], sink Sink[T], opts ...StageOption) {
	cfg := applyStageOptions(opts)
	p := s.n.p
	n := newNode[T](p, kindSink, "sink", cfg)
	if !p.own(s.n, n.meta.name) {
		return
	}
	if sink == nil {
		p.errorf("stage %q: nil sink", n.meta.name)
	}
	n.inputs = []edge{{from: s.n}}
	n.build = func(ic *instanceCtx, _ any) []any {
		x := &sinkInlet[T]{rt: ic.rt, id: ic.rt.ckpt.addSink(), meta: n.meta, sink: sink, ctx: ic.rt.failCtx, index: ic.index}
		if c, ok := sink.(interface{ Close() error }); ok {
			ic.rt.closers = append(ic.rt.closers, closer{name: n.meta.name, c: c})
		}
		return []any{x}
	}
}

func chainNode[I, O any](s Stream[I], kind string, opts []StageOption) *node {
	cfg := applyStageOptions(opts)
	p := s.n.p
	n := newNode[O](p, kindOp, kind, cfg)
	if p.own(s.n, n.meta.name) {
		n.inputs = []edge{{from: s.n}}
	}
	return n
}
