// Package sink provides the sinks that end weir pipelines: Func and
// EventFunc call a function, Chan sends to a channel, Collect gathers
// everything in memory (for tests), JSONLines and Lines write to an
// io.Writer, Discard only counts. To attaches a sink to a stream:
//
//	sink.To(perMin, sink.Func(publish))
//
// The runtime calls a sink from one goroutine at a time (see stream.Sink), so
// a sink's own state needs no locks; only what a sink shares with the caller
// while Run is running (Collect's results, Discard's count) is synchronised.
package sink

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/weirhq/weir/stream"
)

// To ends s in k; it is stream.To, here so pipelines read
// sink.To(s, sink.Func(f)). Options: stream.Name (default "sink#N"). A
// sink has no error policy (an error from it always fails the pipeline), so
// stream.OnError makes the pipeline invalid.
func To[T any](s stream.Stream[T], k stream.Sink[T], opts ...stream.StageOption) {
	stream.To(s, k, opts...)
}

// Func returns a sink calling f for each element, in stream order. An error
// from f fails the pipeline (wrapped in a stream.StageError naming the sink);
// a panic in f does too. f is called from one goroutine at a time. A nil f
// fails the pipeline at its first element.
func Func[T any](f func(T) error) stream.Sink[T] {
	if f == nil {
		return funcSink[T](nil)
	}
	return funcSink[T](func(e stream.Event[T]) error { return f(e.Value) })
}

// EventFunc is Func for a function that also wants each element's event time
// (Unix nanoseconds in e.Time; stream.ToTime converts it).
func EventFunc[T any](f func(e stream.Event[T]) error) stream.Sink[T] { return funcSink[T](f) }

var errNilFunc = errors.New("sink: nil function")

type funcSink[T any] func(stream.Event[T]) error

func (f funcSink[T]) Write(_ context.Context, b []stream.Event[T]) error {
	if f == nil {
		return errNilFunc
	}
	for i := range b {
		if err := f(b[i]); err != nil {
			return err
		}
	}
	return nil
}

func (f funcSink[T]) Flush(context.Context) error { return nil }

// Chan returns a sink sending each element on ch, in stream order. A send
// blocks while ch is full, which holds the pipeline back (backpressure); it
// gives up when the pipeline fails or is stopped hard (after a cancelled
// run's drain timeout). The sink never closes ch: the caller closes it, if
// needed, after Run returns, e.g.
//
//	go func() { err = p.Run(ctx); close(ch) }()
//	for v := range ch { ... }
//
// A nil ch blocks forever (until the pipeline is stopped).
func Chan[T any](ch chan<- T) stream.Sink[T] { return chanSink[T]{ch} }

type chanSink[T any] struct{ ch chan<- T }

func (c chanSink[T]) Write(ctx context.Context, b []stream.Event[T]) error {
	done := ctx.Done()
	for i := range b {
		select {
		case c.ch <- b[i].Value:
		case <-done:
			return context.Cause(ctx)
		}
	}
	return nil
}

func (c chanSink[T]) Flush(context.Context) error { return nil }

// Discard returns a sink that drops every element and counts it. Its count
// may be read at any time, from any goroutine.
func Discard[T any]() *Counter[T] { return &Counter[T]{} }

// Counter is the sink returned by Discard: it drops elements and counts
// them. One Counter may end several streams (of one type); it then counts
// them all.
type Counter[T any] struct{ n atomic.Int64 }

// Count returns the number of elements received so far.
func (c *Counter[T]) Count() int64 { return c.n.Load() }

// Write counts b.
func (c *Counter[T]) Write(_ context.Context, b []stream.Event[T]) error {
	c.n.Add(int64(len(b)))
	return nil
}

// Flush does nothing.
func (c *Counter[T]) Flush(context.Context) error { return nil }
