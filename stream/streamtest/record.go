package streamtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/weirhq/weir/stream"
)

// Entry is one thing a Recorder saw: an element with its event time, or a
// watermark (IsWatermark true, its time in Watermark).
type Entry[T any] struct {
	Event       stream.Event[T]
	IsWatermark bool
	Watermark   int64
}

// Recorder captures what reaches the end of a stream: its elements with
// their event times and the watermarks between them, in the order they
// arrive. Obtain one with Record. Its methods are safe to call while the
// pipeline runs (they return snapshots) and after.
//
// Elements coming from parallel instances (after a KeyBy with Parallelism >
// 1, or a Union) interleave in no defined order, and one instance may
// deliver an element before the merged watermark has caught up with the
// other instances: compare such output with SortedTrace, or sort Values.
type Recorder[T any] struct {
	mu      sync.Mutex
	entries []Entry[T]
	ended   bool
	final   bool
}

// Record ends s in a new Recorder and returns it. The recorder sees s's
// merged watermark (the minimum over s's parallel instances), so it adds an
// exchange after s: stages named "union#N" (merging the instances),
// "record#N" and "sink#N" appear in the pipeline's metrics. Elements are
// kept as received: a pointer or slice inside one is shared with whatever
// produced it.
func Record[T any](s stream.Stream[T]) *Recorder[T] {
	r := &Recorder[T]{}
	merged := stream.Union(s)
	out := stream.Apply(merged, "record", func(*stream.OpContext[struct{}]) stream.Operator[T] {
		return recordOp[T]{r}
	})
	stream.To(out, nopSink{})
	return r
}

type recordOp[T any] struct{ r *Recorder[T] }

func (o recordOp[T]) ProcessBatch(b []stream.Event[T]) {
	o.r.mu.Lock()
	for _, e := range b {
		o.r.entries = append(o.r.entries, Entry[T]{Event: e})
	}
	o.r.mu.Unlock()
}

func (o recordOp[T]) OnWatermark(wm int64) {
	o.r.mu.Lock()
	o.r.entries = append(o.r.entries, Entry[T]{IsWatermark: true, Watermark: wm})
	if wm == stream.MaxTime {
		o.r.final = true
	}
	o.r.mu.Unlock()
}

func (o recordOp[T]) OnEnd() {
	o.r.mu.Lock()
	o.r.ended = true
	o.r.mu.Unlock()
}

type nopSink struct{}

func (nopSink) Write(context.Context, []stream.Event[struct{}]) error { return nil }
func (nopSink) Flush(context.Context) error                           { return nil }

// Entries returns everything recorded so far, in arrival order.
func (r *Recorder[T]) Entries() []Entry[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Entry[T](nil), r.entries...)
}

// Events returns the elements recorded so far with their event times, in
// arrival order (nil if none).
func (r *Recorder[T]) Events() []stream.Event[T] {
	var out []stream.Event[T]
	for _, e := range r.Entries() {
		if !e.IsWatermark {
			out = append(out, e.Event)
		}
	}
	return out
}

// Values returns the elements recorded so far, in arrival order (nil if
// none).
func (r *Recorder[T]) Values() []T {
	var out []T
	for _, e := range r.Events() {
		out = append(out, e.Value)
	}
	return out
}

// Watermarks returns the watermarks recorded so far, in order (nil if none).
// A bounded run that ended normally ends with stream.MaxTime.
func (r *Recorder[T]) Watermarks() []int64 {
	var out []int64
	for _, e := range r.Entries() {
		if e.IsWatermark {
			out = append(out, e.Watermark)
		}
	}
	return out
}

// Ended reports whether the stream has ended, and final whether it ended
// with the final watermark (bounded input exhausted) rather than by
// cancellation.
func (r *Recorder[T]) Ended() (ended, final bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended, r.final
}

// Trace renders the recording as text, one entry per line, for comparison
// with a literal or a golden file: an element as value@time (value formatted
// with %v), a watermark as "wm time"; the times stream.MinTime and
// stream.MaxTime print as "min" and "max". For example:
//
//	a@1
//	b@2
//	wm 2
//	wm max
func (r *Recorder[T]) Trace() string { return render(r.Entries(), false) }

// SortedTrace is Trace in a canonical order that does not depend on how the
// parallel instances of a stage (after a KeyBy with Parallelism > 1) were
// scheduled. Each element is moved down to just before the first watermark,
// at or after its arrival, that is at or above its time (the watermark it
// could not arrive after without being late), and the elements before each
// watermark are sorted by time, then by their text. Watermarks stay in
// place. An element arriving after a watermark above its time (late) stays
// before the next watermark.
func (r *Recorder[T]) SortedTrace() string { return render(r.Entries(), true) }

type line struct {
	t    int64
	s    string
	late bool // arrived after a watermark at or above t
}

func render[T any](entries []Entry[T], canonical bool) string {
	var b strings.Builder
	var pending []line
	wm := stream.MinTime
	emit := func(ls []line) {
		for _, l := range ls {
			b.WriteString(l.s)
			b.WriteByte('\n')
		}
	}
	for _, e := range entries {
		if !e.IsWatermark {
			pending = append(pending, line{e.Event.Time, fmt.Sprintf("%v@%s", e.Event.Value, FormatTime(e.Event.Time)), e.Event.Time <= wm})
			if !canonical {
				emit(pending)
				pending = pending[:0]
			}
			continue
		}
		if canonical {
			// Elements at or below the watermark (and late ones) go before
			// it; later ones wait for a later watermark.
			var now, later []line
			for _, l := range pending {
				if l.t <= e.Watermark || l.late {
					now = append(now, l)
				} else {
					later = append(later, l)
				}
			}
			sortLines(now)
			emit(now)
			pending = later
		}
		wm = max(wm, e.Watermark)
		b.WriteString("wm ")
		b.WriteString(FormatTime(e.Watermark))
		b.WriteByte('\n')
	}
	sortLines(pending)
	emit(pending)
	return b.String()
}

func sortLines(ls []line) {
	slices.SortFunc(ls, func(x, y line) int { return cmp.Or(cmp.Compare(x.t, y.t), strings.Compare(x.s, y.s)) })
}

// FormatTime formats an event time as Trace does: the number, or "min" and
// "max" for stream.MinTime and stream.MaxTime.
func FormatTime(ts int64) string {
	switch ts {
	case stream.MinTime:
		return "min"
	case stream.MaxTime:
		return "max"
	}
	return strconv.FormatInt(ts, 10)
}
