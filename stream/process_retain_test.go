package stream_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/stream"
)

// A Process that accumulates elements in keyed state and emits on a timer
// holds back the checkpoint's retention: no checkpoint before the end may
// complete with retainedFrom MaxTime while the state holds the elements.
func TestReviewProcessStateNotRetained(t *testing.T) {
	p := stream.New(stream.WithCheckpointInterval(2*time.Millisecond), stream.WithTickInterval(time.Millisecond))
	type done struct {
		id  uint64
		ret int64
	}
	completed := make(chan done, 100)
	s := stream.From(p, stream.SourceFunc[int](func(ctx context.Context, out *stream.Emitter[int]) error {
		out.OnCheckpoint(stream.CheckpointFuncs{Prepare: func(uint64) {},
			Complete: func(id uint64, ret int64) { completed <- done{id, ret} }})
		for i := 1; i <= 5; i++ {
			out.EmitNanos(i, int64(i*1000))
		}
		out.Flush()
		for {
			select {
			case now := <-out.Ticks():
				out.Tick(now)
			case d := <-completed:
				completed <- d
				return nil
			case <-ctx.Done():
				return nil
			}
		}
	}), stream.Watermarks(stream.NoWatermarks()))
	sum := stream.Process(stream.KeyBy(s, func(int) int { return 0 }),
		func(c *stream.KeyedContext[int, int, int], v int) { *c.State() += v; c.SetEventTimer(stream.MaxTime) },
		func(c *stream.KeyedContext[int, int, int], _ stream.Timer) { c.Emit(*c.State()) })
	col := sink.Collect[int]()
	stream.To(sum, col)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := <-completed
	if d.id != ^uint64(0) && d.ret == stream.MaxTime {
		t.Fatalf("checkpoint %d completed with retainedFrom MaxTime while Process held all 5 elements in state", d.id)
	}
	if d.id != ^uint64(0) && d.ret != 1000 {
		t.Fatalf("checkpoint %d completed with retainedFrom %d, want 1000 (the first element)", d.id, d.ret)
	}
}

// retainStep is one step of a stepSource: emit, then wait for the first
// checkpoint whose barrier follows what was emitted and check its
// retainedFrom ("" if fine).
type retainStep struct {
	emit  func(out *stream.Emitter[int])
	check func(ret int64) string
}

// stepSource runs steps in order; it ends after the last one.
func stepSource(t *testing.T, steps ...retainStep) stream.Source[int] {
	return stream.SourceFunc[int](func(ctx context.Context, out *stream.Emitter[int]) error {
		type done struct {
			id  uint64
			ret int64
		}
		completed := make(chan done, 1000)
		var want uint64 // first barrier after the step's elements; 0: none yet
		armed := false
		out.OnCheckpoint(stream.CheckpointFuncs{
			Prepare: func(id uint64) { // in this goroutine
				if armed && want == 0 {
					want = id
				}
			},
			Complete: func(id uint64, ret int64) { completed <- done{id, ret} },
		})
		for i, s := range steps {
			s.emit(out)
			out.Flush()
			armed, want = true, 0
			deadline := time.After(10 * time.Second)
		wait:
			for {
				select {
				case now := <-out.Ticks():
					out.Tick(now)
				case d := <-completed:
					if want != 0 && d.id >= want {
						if msg := s.check(d.ret); msg != "" {
							t.Errorf("step %d: checkpoint %d: retainedFrom %d: %s", i, d.id, d.ret, msg)
						}
						break wait
					}
				case <-deadline:
					t.Errorf("step %d: no checkpoint completed", i)
					return nil
				case <-ctx.Done():
					return nil
				}
			}
		}
		return nil
	})
}

func wantRet(want int64) func(int64) string {
	return func(ret int64) string {
		if ret != want {
			return fmt.Sprintf("want %d", want)
		}
		return ""
	}
}

// Clearing a key's state (and deleting its timer) releases its retention: a
// later checkpoint completes past the cleared key's elements, while another
// key's state still holds it back.
func TestProcessClearStateReleasesRetention(t *testing.T) {
	p := stream.New(stream.WithCheckpointInterval(2*time.Millisecond), stream.WithTickInterval(time.Millisecond))
	// Values: key = v % 10; v/10 > 0 adds to the key's sum; v/10 == 0 emits
	// the key's sum and clears it.
	s := stream.From(p, stepSource(t,
		retainStep{func(out *stream.Emitter[int]) {
			for i := 1; i <= 5; i++ {
				out.EmitNanos(i*10+1, int64(i*1000)) // key 1 at 1000..5000
			}
			out.EmitNanos(7*10+2, 7000) // key 2 at 7000
		}, wantRet(1000)},
		retainStep{func(out *stream.Emitter[int]) {
			out.EmitNanos(1, 500) // clears key 1 (its time does not matter)
		}, wantRet(7000)},
		retainStep{func(out *stream.Emitter[int]) {
			out.EmitNanos(2, 8000) // clears key 2
		}, wantRet(stream.MaxTime)},
		retainStep{func(out *stream.Emitter[int]) {
			out.EmitNanos(9*10+1, 9000) // key 1 again: new state holds from 9000
		}, wantRet(9000)},
	), stream.Watermarks(stream.NoWatermarks()))
	sum := stream.Process(stream.KeyBy(s, func(v int) int { return v % 10 }),
		func(c *stream.KeyedContext[int, int, int], v int) {
			if v/10 == 0 {
				c.Emit(*c.State())
				c.ClearState()
				c.DeleteEventTimer(stream.MaxTime)
				return
			}
			*c.State() += v / 10
			c.SetEventTimer(stream.MaxTime)
		},
		func(c *stream.KeyedContext[int, int, int], _ stream.Timer) { c.Emit(*c.State()) })
	col := sink.Collect[int]()
	stream.To(sum, col)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(col.Values()), "[15 7 9]"; got != want {
		t.Fatalf("emitted %s, want %s", got, want)
	}
}

// A pending timer holds the contribution of the element that set it, with
// no state, until it fires; a Process that only emits holds nothing.
func TestProcessTimerRetention(t *testing.T) {
	p := stream.New(stream.WithCheckpointInterval(2*time.Millisecond), stream.WithTickInterval(time.Millisecond))
	s := stream.From(p, stepSource(t,
		retainStep{func(out *stream.Emitter[int]) {
			out.EmitNanos(0, 1000) // only emits
		}, wantRet(stream.MaxTime)},
		retainStep{func(out *stream.Emitter[int]) {
			out.EmitNanos(1, 2000) // sets a timer at 2500
			out.EmitNanos(1, 3000) // sets a timer at 3500
		}, wantRet(2000)},
		retainStep{func(out *stream.Emitter[int]) {
			out.Watermark(2600) // fires the first
		}, wantRet(3000)},
		retainStep{func(out *stream.Emitter[int]) {
			out.Watermark(4000) // fires the second
		}, wantRet(stream.MaxTime)},
	), stream.Watermarks(stream.NoWatermarks()))
	fired := stream.Process(stream.KeyBy(s, func(int) int { return 0 }),
		func(c *stream.KeyedContext[int, struct{}, int], v int) {
			if v == 0 {
				c.Emit(v)
				return
			}
			c.SetEventTimer(c.Time() + 500)
		},
		func(c *stream.KeyedContext[int, struct{}, int], tm stream.Timer) { c.Emit(int(tm.Time)) })
	col := sink.Collect[int]()
	stream.To(fired, col)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(col.Values()), "[0 2500 3500]"; got != want {
		t.Fatalf("emitted %s, want %s", got, want)
	}
}

// A Process that stamps its output later than its input (EmitAt) reports
// the gap as OutputDelay, so that a stateful stage after it holds back the
// retention to the input's time, not the output's.
func TestProcessOutputDelay(t *testing.T) {
	p := stream.New(stream.WithCheckpointInterval(2*time.Millisecond), stream.WithTickInterval(time.Millisecond))
	s := stream.From(p, stepSource(t,
		retainStep{func(out *stream.Emitter[int]) {
			out.EmitNanos(1, 1000)
		}, wantRet(1000)},
	), stream.Watermarks(stream.NoWatermarks()))
	shifted := stream.Process(stream.KeyBy(s, func(int) int { return 0 }),
		func(c *stream.KeyedContext[int, struct{}, int], v int) { c.EmitAt(v, c.Time()+500) }, nil)
	held := stream.Process(stream.KeyBy(shifted, func(int) int { return 0 }),
		func(c *stream.KeyedContext[int, int, int], v int) { *c.State() += v }, nil)
	stream.To(held, sink.Discard[int]())
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}
