package stream

import (
	"context"
	"errors"
	"testing"
	"time"
)

// wantStageError checks that err is a StageError naming stage, and, when
// panicked, that it carries a PanicError with a stack.
func wantStageError(t *testing.T, err error, stage string, panicked bool) {
	t.Helper()
	var se *StageError
	if !errors.As(err, &se) || se.Stage != stage {
		t.Fatalf("err = %v, want a StageError naming %q", err, stage)
	}
	var pe *PanicError
	if panicked && (!errors.As(err, &pe) || len(pe.Stack) == 0) {
		t.Fatalf("err = %v, want a PanicError with its stack", err)
	}
}

// runNoPanic runs p and fails the test if Run panics.
func runNoPanic(t *testing.T, p *Pipeline, ctx context.Context) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Run panicked: %v", r)
		}
	}()
	return p.Run(ctx)
}

// TestOperatorConstructorFailures: an operator constructor that returns nil
// or panics makes Run return an error naming the stage, without panicking,
// and the sinks already built are closed.
func TestOperatorConstructorFailures(t *testing.T) {
	for _, panics := range []bool{false, true} {
		p := New()
		out := Apply(From(p, sliceSource([]int{1})), "op", func(*OpContext[int]) Operator[int] {
			if panics {
				panic("constructor boom")
			}
			return nil
		}, Name("op"))
		closed := &closeSink{}
		To(out, closed)
		err := runNoPanic(t, p, context.Background())
		wantStageError(t, err, "op", panics)
		if !panics && !errors.Is(err, errNilOperator) {
			t.Fatalf("err = %v, want errNilOperator", err)
		}
		if closed.n != 1 {
			t.Fatalf("sink closed %d times, want 1", closed.n)
		}
	}
}

// closeSink counts its Close calls; it panics or fails in Close if told to.
type closeSink struct {
	collectSink[int]
	n       int
	panics  bool
	failErr error
}

func (c *closeSink) Close() error {
	c.n++
	if c.panics {
		panic("close boom")
	}
	return c.failErr
}

// TestSinkCloseFailures: a sink's Close that panics or fails makes Run
// return an error naming the sink; every closer is still called.
func TestSinkCloseFailures(t *testing.T) {
	boom := errors.New("close failed")
	for _, panics := range []bool{false, true} {
		p := New()
		s := From(p, sliceSource([]int{1}))
		bad, other := &closeSink{panics: panics, failErr: boom}, &closeSink{}
		To(s, bad, Name("bad"))
		To(s, other, Name("other"))
		err := runNoPanic(t, p, context.Background())
		wantStageError(t, err, "bad", panics)
		if !panics && !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
		if bad.n != 1 || other.n != 1 {
			t.Fatalf("closed %d and %d times, want 1 each", bad.n, other.n)
		}
	}
}

// TestCheckpointCompletePanics: a panic in a source's Complete callback,
// periodic (called from the coordinator's goroutine) or final (from Run's),
// fails the run with an error naming the source instead of crashing.
func TestCheckpointCompletePanics(t *testing.T) {
	for _, periodic := range []bool{true, false} {
		p := New(WithCheckpointInterval(time.Millisecond), WithTickInterval(time.Millisecond))
		s := From(p, SourceFunc[int](func(ctx context.Context, out *Emitter[int]) error {
			out.OnCheckpoint(CheckpointFuncs{Prepare: func(uint64) {}, Complete: func(id uint64, _ int64) {
				if periodic || id == finalCheckpoint {
					panic("complete boom")
				}
			}})
			out.EmitNanos(1, 1)
			if !periodic {
				return nil
			}
			for {
				select {
				case now := <-out.Ticks():
					out.Tick(now)
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}), Name("src"))
		To(s, &collectSink[int]{})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := runNoPanic(t, p, ctx)
		cancel()
		wantStageError(t, err, "src", true)
	}
}

// TestSourcePanicHasStack: a panic in a source comes back as a PanicError
// naming the source, with the stack of the panic.
func TestSourcePanicHasStack(t *testing.T) {
	p := New()
	To(From(p, SourceFunc[int](func(context.Context, *Emitter[int]) error { panic("source boom") }), Name("src")), &collectSink[int]{})
	wantStageError(t, runNoPanic(t, p, context.Background()), "src", true)
}

// clockGen is a watermark generator that advances on every call, as one
// following processing time would.
type clockGen struct{ n int64 }

func (g *clockGen) OnEvent(int64)    {}
func (g *clockGen) Watermark() int64 { g.n++; return g.n * 1000 }

// TestGeneratorAskedOnTick: a source's watermark generator is asked on each
// tick, not only after batches, so a quiet source's watermark still moves.
func TestGeneratorAskedOnTick(t *testing.T) {
	p := New(WithTickInterval(time.Millisecond))
	var seen int64
	s := From(p, SourceFunc[int](func(ctx context.Context, out *Emitter[int]) error {
		for range 5 {
			select {
			case now := <-out.Ticks():
				out.Tick(now)
			case <-ctx.Done():
				return nil
			}
		}
		seen = out.CurrentWatermark()
		return nil
	}), Watermarks(WatermarkFunc(func() WatermarkGenerator { return &clockGen{} })))
	To(s, &collectSink[int]{})
	if err := runNoPanic(t, p, context.Background()); err != nil {
		t.Fatal(err)
	}
	if seen != 5000 {
		t.Fatalf("after 5 ticks the source's watermark is %d, want 5000", seen)
	}
}

// TestRejectTime: a source's undecodable input is dead-lettered at the
// highest event time emitted before it, whatever the watermark strategy,
// and at the processing time before any.
func TestRejectTime(t *testing.T) {
	for _, wm := range []WatermarkStrategy{Ascending(), NoWatermarks(), WatermarkFunc(func() WatermarkGenerator { return &clockGen{} })} {
		p := New()
		s := From(p, SourceFunc[int](func(ctx context.Context, out *Emitter[int]) error {
			if err := out.Reject([]byte("first"), nil, errors.New("bad")); err != nil {
				return err
			}
			out.EmitNanos(1, 300)
			out.EmitNanos(2, 200)
			return out.Reject([]byte("second"), nil, errors.New("bad"))
		}), Watermarks(wm), OnError(DeadLetterOnError))
		To(s, &collectSink[int]{})
		dl := &collectSink[DeadLetter]{}
		To(p.DeadLetters(), dl)
		start := time.Now().UnixNano()
		if err := runNoPanic(t, p, context.Background()); err != nil {
			t.Fatal(err)
		}
		got := dl.values()
		if len(got) != 2 || got[0].Time < start || got[1].Time != 300 {
			t.Fatalf("%T: dead letters %+v, want the first at processing time, the second at 300", wm, got)
		}
	}
}
