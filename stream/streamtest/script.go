// Package streamtest helps test weir pipelines deterministically: a Script
// is a source that plays scripted elements, watermarks and idleness; a
// Recorder captures what reaches the end of a stream (elements with their
// event times, and watermarks) in order; Run runs a pipeline with a timeout;
// Equal compares; VerifyNoLeaks checks that no pipeline goroutine outlives a
// test.
//
//	p := stream.New()
//	in := streamtest.NewScript[int]().Add(1, 10).Add(2, 20).Watermark(20).Add(3, 30)
//	out := streamtest.Record(stream.Map(streamtest.From(p, in), double))
//	streamtest.Run(t, p)
//	streamtest.Equal(t, out.Trace(), "2@10\n4@20\nwm 20\n6@30\nwm max\n")
//
// Event times in scripts and traces are plain int64 (Unix nanoseconds for the
// pipeline, but any small numbers read better in tests).
package streamtest

import (
	"context"
	"time"

	"github.com/weirhq/weir/stream"
)

// Script is a scripted source: a sequence of steps (elements at given event
// times, watermarks, idleness, pauses) played in order by Run. Build it with
// NewScript and the chained methods, then add it to a pipeline with From (or
// stream.From with stream.Watermarks(stream.NoWatermarks()), so that only
// the scripted watermarks count). When the steps are exhausted the source
// ends like any bounded source: with the final watermark (stream.MaxTime).
//
// A Script is not safe for concurrent building; once built, it may be run by
// any number of pipelines, also at once (Run does not modify it). The zero
// Script is an empty script, ready to use.
type Script[T any] struct {
	steps []step[T]
}

type stepKind uint8

const (
	stepAdd stepKind = iota
	stepWatermark
	stepIdle
	stepSleep
)

type step[T any] struct {
	kind stepKind
	v    T
	ts   int64
	d    time.Duration
}

// NewScript returns an empty script.
func NewScript[T any]() *Script[T] { return &Script[T]{} }

// Add appends an element v at event time ts. Elements reach the stages after
// the source in script order; one at or before the last scripted watermark
// is late for them (which is how a test makes late data).
func (s *Script[T]) Add(v T, ts int64) *Script[T] {
	s.steps = append(s.steps, step[T]{kind: stepAdd, v: v, ts: ts})
	return s
}

// AddAll appends the elements vs, all at event time ts.
func (s *Script[T]) AddAll(ts int64, vs ...T) *Script[T] {
	for _, v := range vs {
		s.Add(v, ts)
	}
	return s
}

// Watermark appends a watermark: the promise that no element at or before
// ts follows (a scripted element that does is late). The elements before it
// are flushed first, so the stages after the source see them before the
// watermark. A watermark not above the previous one is ignored (watermarks
// never go back) and flushes nothing.
func (s *Script[T]) Watermark(ts int64) *Script[T] {
	s.steps = append(s.steps, step[T]{kind: stepWatermark, ts: ts})
	return s
}

// Idle appends a step that marks the source idle (stream.Emitter.Idle):
// downstream stages with several inputs (Union, joins) stop waiting for its
// watermark until its next element or watermark.
func (s *Script[T]) Idle() *Script[T] {
	s.steps = append(s.steps, step[T]{kind: stepIdle})
	return s
}

// Sleep appends a pause of d of processing time, during which the source
// keeps the pipeline's processing time going (ticks flush partial batches and
// fire processing-time timers), as a live source waiting for input would.
// What was added before the pause is flushed first.
func (s *Script[T]) Sleep(d time.Duration) *Script[T] {
	s.steps = append(s.steps, step[T]{kind: stepSleep, d: d})
	return s
}

// Len returns the number of steps.
func (s *Script[T]) Len() int { return len(s.steps) }

// From adds the script to p as a source with no generated watermarks (only
// the scripted ones and the final one count); it is stream.From with that
// option first, so opts may add a stream.Name or override it.
func From[T any](p *stream.Pipeline, s *Script[T], opts ...stream.StageOption) stream.Stream[T] {
	all := append([]stream.StageOption{
		stream.Watermarks(stream.NoWatermarks()),
	}, opts...)
	return stream.From(p, stream.Source[T](s), all...)
}

// Run plays the script into out (it implements stream.Source). It returns
// nil when the steps are exhausted, or ctx's error when the pipeline is
// cancelled.
func (s *Script[T]) Run(ctx context.Context, out *stream.Emitter[T]) error {
	done := ctx.Done()
	for _, st := range s.steps {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
		switch st.kind {
		case stepAdd:
			out.EmitNanos(st.v, st.ts)
		case stepWatermark:
			out.Watermark(st.ts)
		case stepIdle:
			out.Idle()
		case stepSleep:
			out.Flush()
			if err := sleep(ctx, out, st.d); err != nil {
				return err
			}
		}
	}
	return nil
}

func sleep[T any](ctx context.Context, out *stream.Emitter[T], d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	ticks := out.Ticks()
	for {
		select {
		case <-t.C:
			return nil
		case now := <-ticks:
			out.Tick(now)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
