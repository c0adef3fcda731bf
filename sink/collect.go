package sink

import (
	"context"
	"iter"
	"sync"

	"github.com/weirhq/weir/stream"
)

// Collect returns a sink that keeps every element in memory with its event
// time, in arrival order, for tests and small batch jobs. Its results may be
// read while the pipeline runs (a snapshot) and after it. Memory grows with
// the input: do not end an unbounded stream in it.
func Collect[T any]() *Collection[T] { return &Collection[T]{} }

// Collection is the sink returned by Collect. It is safe for concurrent use.
// Elements are kept as received: a pointer or slice inside an element is
// shared with whatever produced it. One Collection may end several streams
// (of one type); their elements then interleave in arrival order.
type Collection[T any] struct {
	mu     sync.Mutex
	events []stream.Event[T]
}

// Write appends b.
func (c *Collection[T]) Write(_ context.Context, b []stream.Event[T]) error {
	c.mu.Lock()
	c.events = append(c.events, b...)
	c.mu.Unlock()
	return nil
}

// Flush does nothing: everything written is already visible.
func (c *Collection[T]) Flush(context.Context) error { return nil }

// Len returns the number of elements received so far.
func (c *Collection[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// Values returns a copy of the elements received so far, in arrival order
// (an empty, non-nil slice if none).
func (c *Collection[T]) Values() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]T, len(c.events))
	for i, e := range c.events {
		out[i] = e.Value
	}
	return out
}

// Events returns a copy of the elements received so far with their event
// times, in arrival order (an empty, non-nil slice if none).
func (c *Collection[T]) Events() []stream.Event[T] {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(make([]stream.Event[T], 0, len(c.events)), c.events...)
}

// All returns an iterator over the elements received so far, in arrival
// order. It iterates over a snapshot taken when iteration starts: elements
// that arrive during the iteration are not included.
func (c *Collection[T]) All() iter.Seq[T] {
	return func(yield func(T) bool) {
		for _, e := range c.Events() {
			if !yield(e.Value) {
				return
			}
		}
	}
}

// AllEvents is All with each element's event time (Unix nanoseconds) as the
// first value of each pair.
func (c *Collection[T]) AllEvents() iter.Seq2[int64, T] {
	return func(yield func(int64, T) bool) {
		for _, e := range c.Events() {
			if !yield(e.Time, e.Value) {
				return
			}
		}
	}
}

// Reset forgets the elements received so far.
func (c *Collection[T]) Reset() {
	c.mu.Lock()
	c.events = nil
	c.mu.Unlock()
}
