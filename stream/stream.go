package stream

import (
	"context"
	"fmt"
	"hash/maphash"
)

// Stream is a typed stream of elements in a Pipeline. It is a handle used to
// build stages; it holds no data. A Stream may be consumed by several stages:
// each receives every element.
//
// The zero Stream belongs to no pipeline, so there is no Run to report a
// mistake to: a stage function given it as its only input (or as every
// input, for Union and two-input stages) panics with a message naming the
// function or the stage's kind, as the standard library does for programmer
// errors. A zero Stream beside a valid one makes the pipeline invalid.
type Stream[T any] struct{ n *node }

// Pipeline returns the pipeline the stream belongs to, or nil for the zero
// Stream.
func (s Stream[T]) Pipeline() *Pipeline {
	if s.n == nil {
		return nil
	}
	return s.n.p
}

// Name returns the name of the stage that produces the stream, or "" for the
// zero Stream.
func (s Stream[T]) Name() string {
	if s.n == nil {
		return ""
	}
	return s.n.meta.name
}

// pipelineOf returns the pipeline of n, the input of the stage function fn.
// It panics if n is nil (the zero Stream or KeyedStream): with no pipeline,
// the mistake cannot be recorded for Run.
func pipelineOf(n *node, fn string) *Pipeline {
	if n == nil {
		panic("stream: " + fn + " of the zero Stream (a Stream comes from From or a stage function)")
	}
	return n.p
}

// KeyedStream is a stream partitioned by a comparable key: keyed stages after
// it (Process, Dedupe, windows, joins) see every element of a key in one
// instance, so keyed state needs no locks. Obtain one with KeyBy. Like the
// zero Stream, the zero KeyedStream belongs to no pipeline: a keyed stage
// given it panics.
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

// Pipeline returns the pipeline the stream belongs to, or nil for the zero
// KeyedStream.
func (ks KeyedStream[K, T]) Pipeline() *Pipeline {
	if ks.n == nil {
		return nil
	}
	return ks.n.p
}

// hashFunc returns the partition hash of the key; for the zero KeyedStream
// it panics naming fn, the stage function (it is the first thing the keyed
// stages ask of their input).
func (ks KeyedStream[K, T]) hashFunc(fn string) any {
	return partitionHash(pipelineOf(ks.n, fn).seed(), ks.key)
}

func (p *Pipeline) seed() maphash.Seed {
	if !p.seeded {
		p.hashSeed, p.seeded = maphash.MakeSeed(), true
	}
	return p.hashSeed
}

// KeyBy partitions s by the key f returns. Options: Parallelism (how many
// instances run the keyed stages that follow; default WithParallelism).
// KeyBy itself is not a stage: it costs nothing until a keyed stage consumes
// it, and any other option (Name, OnError, ...) makes the pipeline invalid.
// Keys are spread over instances by a hash that is stable for one run of
// one process (not across processes: use a Kafka repartition topic for that).
// A nil f makes the pipeline invalid; the zero s panics (see Stream).
func KeyBy[K comparable, T any](s Stream[T], f func(T) K, opts ...StageOption) KeyedStream[K, T] {
	p := pipelineOf(s.n, "KeyBy")
	cfg := applyStageOptions(opts)
	what := fmt.Sprintf("KeyBy after %q", s.n.meta.name)
	p.checkOptions(what, "KeyBy (it is not a stage)", cfg.given, keyByOptions)
	if f == nil {
		p.errorf("%s: nil key function", what)
	}
	if cfg.given&optParallelism != 0 && cfg.parallelism < 1 {
		p.errorf("%s: parallelism %d < 1", what, cfg.parallelism)
	}
	return KeyedStream[K, T]{n: s.n, key: f, par: cfg.parallelism}
}

// Map transforms each element with f. The event time is kept. Options:
// Name; Map has no per-element failure, so OnError makes the pipeline
// invalid (a panic in f fails it). A nil f makes the pipeline invalid; the
// zero s panics (see Stream).
func Map[I, O any](s Stream[I], f func(I) O, opts ...StageOption) Stream[O] {
	n := chainNode[I, O](s, "Map", "map", plainOptions, opts)
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
// original element). Options: Name, OnError. The stage is named "map#N"
// by default, like Map's. A nil f makes the pipeline invalid; the zero s
// panics (see Stream).
func MapErr[I, O any](s Stream[I], f func(I) (O, error), opts ...StageOption) Stream[O] {
	n := chainNode[I, O](s, "MapErr", "map", optName|optOnError, opts)
	if f == nil {
		n.p.errorf("stage %q: nil function", n.meta.name)
	}
	n.build = func(ic *instanceCtx, out any) []any {
		return []any{&mapErrInlet[I, O]{pass: pass[O]{n.meta, out.(inlet[O]), ic.index}, f: f, buf: make([]Event[O], 0, ic.rt.cfg.batchSize), t: ic.t}}
	}
	return Stream[O]{n: n}
}

// Filter keeps the elements for which keep returns true; the others are
// counted as Dropped. Options: Name (OnError makes the pipeline invalid:
// dropping is not a failure). A nil keep makes the pipeline invalid; the
// zero s panics (see Stream).
func Filter[T any](s Stream[T], keep func(T) bool, opts ...StageOption) Stream[T] {
	n := chainNode[T, T](s, "Filter", "filter", plainOptions, opts)
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
// called after f returns. Options: Name (OnError makes the pipeline invalid:
// f cannot fail an element; emitting nothing drops it). A nil f makes the
// pipeline invalid; the zero s panics (see Stream).
func FlatMap[I, O any](s Stream[I], f func(v I, emit func(O)), opts ...StageOption) Stream[O] {
	n := chainNode[I, O](s, "FlatMap", "flatmap", plainOptions, opts)
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
// contains pointers the pipeline will reuse. Options: Name (OnError makes
// the pipeline invalid). A nil f makes the pipeline invalid; the zero s
// panics (see Stream).
func Tap[T any](s Stream[T], f func(T), opts ...StageOption) Stream[T] {
	n := chainNode[T, T](s, "Tap", "tap", plainOptions, opts)
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
// bounded exchange. It takes no options. A zero Stream or a stream of
// another pipeline among the streams makes the pipeline of the first
// non-zero one invalid; Union of no streams, or of zero Streams only, has
// no pipeline to report to and panics (see Stream).
func Union[T any](streams ...Stream[T]) Stream[T] {
	var p *Pipeline
	for _, s := range streams {
		if s.n != nil {
			p = s.n.p
			break
		}
	}
	if p == nil {
		pipelineOf(nil, "Union") // panics: no streams, or zero Streams only
	}
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

// To ends s in sink. Options: Name (default "sink#N"). A sink has no error
// policy, as an error from its Write or Flush always fails the pipeline, so
// OnError (like any other option) makes the pipeline invalid. A nil sink
// makes the pipeline invalid; the zero s panics (see Stream).
func To[T any](s Stream[T], sink Sink[T], opts ...StageOption) {
	p := pipelineOf(s.n, "To")
	cfg := applyStageOptions(opts)
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

// chainNode adds the node of the one-input stage function fn (kind names it
// by default) that takes only the options in takes; it panics if s is the
// zero Stream.
func chainNode[I, O any](s Stream[I], fn, kind string, takes optSet, opts []StageOption) *node {
	p := pipelineOf(s.n, fn)
	cfg := applyStageOptions(opts)
	cfg.only = takes
	n := newNode[O](p, kindOp, kind, cfg)
	if p.own(s.n, n.meta.name) {
		n.inputs = []edge{{from: s.n}}
	}
	return n
}
