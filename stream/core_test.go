package stream

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// TestWatermarkMergeProperty drives wmMerge with random watermark, idle,
// activity and end events (after the final watermark or without it) and
// checks it against the definition: the output is the running max of the
// min over inputs that are neither idle nor finished (ended after MaxTime;
// an input ended without it holds its last watermark), and the merge is idle
// exactly when every input is idle or finished.
func TestWatermarkMergeProperty(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 1))
		n := 1 + r.IntN(5)
		m := newWMMerge(n)
		wm := make([]int64, n)
		idle := make([]bool, n)
		ended := make([]bool, n)
		for i := range wm {
			wm[i] = MinTime
		}
		out := MinTime
		for range 200 {
			i := r.IntN(n)
			if ended[i] {
				continue
			}
			var got int64
			var adv bool
			switch op := r.IntN(10); {
			case op < 6:
				w := int64(r.IntN(1000))
				if r.IntN(8) == 0 {
					w = MaxTime // the final watermark
				}
				got, adv, _ = m.watermark(i, w)
				idle[i] = false
				wm[i] = max(wm[i], w)
			case op < 8:
				got, adv, _ = m.setIdle(i)
				idle[i] = true
			case op < 9:
				got, adv, _ = m.active(i)
				idle[i] = false
			default:
				got, adv, _ = m.end(i)
				ended[i] = true
			}
			lo, live := int64(math.MaxInt64), false
			for j := range n {
				if !idle[j] && !(ended[j] && wm[j] == MaxTime) {
					lo, live = min(lo, wm[j]), true
				}
			}
			want, wantAdv := out, false
			if live && lo > out {
				want, wantAdv, out = lo, true, lo
			}
			if got != want || adv != wantAdv {
				t.Fatalf("seed %d: got (%d, %v), want (%d, %v); wm %v idle %v ended %v", seed, got, adv, want, wantAdv, wm, idle, ended)
			}
			if m.isIdl != !live {
				t.Fatalf("seed %d: idle %v, want %v", seed, m.isIdl, !live)
			}
		}
	}
}

// waitingSource emits vs at their times, then waits (ticking) until ctx is
// done, like a live source whose input has gone quiet.
func waitingSource(vs []int64) Source[int64] {
	return SourceFunc[int64](func(ctx context.Context, out *Emitter[int64]) error {
		for _, v := range vs {
			out.EmitNanos(v, v)
		}
		out.Flush()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case now := <-out.Ticks():
				out.Tick(now)
			}
		}
	})
}

// TestCancelHoldsMergedWatermark: when a run is cancelled its sources end
// one after the other, without the final watermark. An input that ended so
// must keep holding the merged watermark: a timer between the inputs'
// watermarks must not fire after the first of them ends.
func TestCancelHoldsMergedWatermark(t *testing.T) {
	// liveAt emits ts, then waits; cancelled, it ends after linger.
	liveAt := func(ts int64, linger time.Duration) Source[int64] {
		return SourceFunc[int64](func(ctx context.Context, out *Emitter[int64]) error {
			out.EmitNanos(ts, ts)
			out.Flush()
			for {
				select {
				case now := <-out.Ticks():
					out.Tick(now)
				case <-ctx.Done():
					time.Sleep(linger)
					return ctx.Err()
				}
			}
		})
	}
	for _, slowFirst := range []bool{false, true} {
		p := New(WithTickInterval(time.Millisecond))
		la, lb := time.Duration(0), 30*time.Millisecond
		if slowFirst {
			la, lb = lb, la
		}
		u := Union(From(p, liveAt(10, la)), From(p, liveAt(100, lb)))
		fired := Process(KeyBy(u, func(int64) int { return 0 }),
			func(c *KeyedContext[int, struct{}, int64], v int64) { c.SetEventTimer(50) },
			func(c *KeyedContext[int, struct{}, int64], tm Timer) { c.Emit(tm.Time) }, Name("timers"))
		got := &collectSink[int64]{}
		To(fired, got)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := p.Run(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if m, _ := p.Stage("timers"); m.In != 2 {
			t.Fatalf("slow first %v: %d elements reached the timers before the cancel, want 2 (the test proves nothing otherwise)", slowFirst, m.In)
		}
		if v := got.values(); len(v) > 0 {
			t.Fatalf("slow first %v: the cancelled run fired timers %v (the union's watermark was 9 until the cancel)", slowFirst, v)
		}
	}
}

// TestIdleInputReleasesWatermark: a Union of a live input and one that went
// quiet. Without an idle timeout the quiet input holds the watermark back;
// with one, the watermark follows the live input and event-time timers fire.
func TestIdleInputReleasesWatermark(t *testing.T) {
	for _, idle := range []time.Duration{0, 50 * time.Millisecond} {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			p := New()
			quiet := From(p, waitingSource([]int64{10}), IdleTimeout(idle), Name("quiet"))
			live := From(p, SourceFunc[int64](func(ctx context.Context, out *Emitter[int64]) error {
				for v := int64(0); v < 1000; v += 10 {
					out.EmitNanos(v, v)
					out.Flush()
					time.Sleep(5 * time.Millisecond)
				}
				<-ctx.Done()
				return ctx.Err()
			}))
			fired := make(chan int64, 100)
			ks := KeyBy(Union(quiet, live), func(int64) int { return 0 })
			out := Process(ks, func(c *KeyedContext[int, struct{}, int64], v int64) {
				c.SetEventTimer(500)
			}, func(c *KeyedContext[int, struct{}, int64], tm Timer) { fired <- tm.Time })
			To(out, &collectSink[int64]{})
			errc := make(chan error, 1)
			go func() { errc <- p.Run(ctx) }()
			time.Sleep(2 * time.Second)
			synctest.Wait()
			select {
			case f := <-fired:
				if idle == 0 {
					t.Fatalf("timer fired at %d although the quiet input was not idle", f)
				}
			default:
				if idle > 0 {
					t.Fatalf("timer did not fire although the quiet input is idle")
				}
			}
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("Run: %v", err)
			}
		})
	}
}

func TestPanicNamesStage(t *testing.T) {
	defer goleak.VerifyNone(t)
	p := New()
	s := Map(From(p, sliceSource([]int64{1, 2, 3})), func(x int64) int64 {
		if x == 2 {
			panic("boom")
		}
		return x
	}, Name("explode"))
	To(Map(s, func(x int64) int64 { return x }), &collectSink[int64]{})
	err := p.Run(context.Background())
	var se *StageError
	var pe *PanicError
	if !errors.As(err, &se) || se.Stage != "explode" || !errors.As(err, &pe) || pe.Value != "boom" {
		t.Fatalf("got %v", err)
	}
}

func TestCancelReturnsPromptlyWithoutLeaks(t *testing.T) {
	defer goleak.VerifyNone(t)
	p := New(WithParallelism(2))
	src := From(p, SourceFunc[int64](func(ctx context.Context, out *Emitter[int64]) error {
		for i := int64(0); ; i++ {
			if i%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			out.EmitNanos(i, i)
		}
	}))
	ks := KeyBy(src, func(x int64) int64 { return x % 7 })
	counts := Process(ks, func(c *KeyedContext[int64, int64, int64], v int64) { *c.State()++ }, nil)
	To(counts, &collectSink[int64]{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := p.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Run took %v after cancel", d)
	}
}

func TestMapErrPolicies(t *testing.T) {
	parse := func(x int64) (int64, error) {
		if x%10 == 3 {
			return 0, errors.New("ends in 3")
		}
		return x, nil
	}
	in := make([]int64, 100)
	for i := range in {
		in[i] = int64(i)
	}
	t.Run("fail", func(t *testing.T) {
		p := New()
		To(MapErr(From(p, sliceSource(in)), parse, Name("parse")), &collectSink[int64]{})
		err := p.Run(context.Background())
		var se *StageError
		if !errors.As(err, &se) || se.Stage != "parse" || !strings.Contains(err.Error(), "ends in 3") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("skip", func(t *testing.T) {
		p := New(WithErrorPolicy(SkipOnError))
		sink := &collectSink[int64]{}
		To(MapErr(From(p, sliceSource(in)), parse, Name("parse")), sink)
		if err := p.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		m, _ := p.Stage("parse")
		if len(sink.values()) != 90 || m.Errors != 10 || m.In != 100 || m.Out != 90 {
			t.Fatalf("got %d values, metrics %+v", len(sink.values()), m)
		}
	})
	t.Run("dead-letter", func(t *testing.T) {
		p := New()
		sink := &collectSink[int64]{}
		To(MapErr(From(p, sliceSource(in)), parse, Name("parse"), OnError(DeadLetterOnError)), sink)
		dead := &collectSink[DeadLetter]{}
		To(p.DeadLetters(), dead)
		if err := p.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		dl := dead.values()
		if len(sink.values()) != 90 || len(dl) != 10 {
			t.Fatalf("got %d values, %d dead letters", len(sink.values()), len(dl))
		}
		for _, d := range dl {
			if d.Stage != "parse" || d.Err == nil || d.Value.(int64)%10 != 3 {
				t.Fatalf("bad dead letter %+v", d)
			}
		}
	})
	t.Run("dead-letter without consumer", func(t *testing.T) {
		p := New()
		To(MapErr(From(p, sliceSource(in)), parse, OnError(DeadLetterOnError)), &collectSink[int64]{})
		if err := p.Run(context.Background()); !errors.Is(err, ErrInvalidPipeline) {
			t.Fatalf("got %v", err)
		}
	})
}

// holdOp holds elements until the watermark passes them: a minimal stateful
// Retainer.
type holdOp struct {
	c    *OpContext[int64]
	held []Event[int64]
}

func (h *holdOp) ProcessBatch(b []Event[int64]) { h.held = append(h.held, b...) }
func (h *holdOp) OnWatermark(wm int64) {
	keep := h.held[:0]
	for _, e := range h.held {
		if e.Time <= wm {
			h.c.Out.EmitAt(e.Value, e.Time)
		} else {
			keep = append(keep, e)
		}
	}
	h.held = keep
}
func (h *holdOp) OnEnd() {}
func (h *holdOp) RetainedFrom() int64 {
	lo := MaxTime
	for _, e := range h.held {
		lo = min(lo, e.Time)
	}
	return lo
}
func (h *holdOp) OutputDelay() int64 { return 0 }

// TestCheckpointRetention: a source that records its position at each
// barrier, a stateful stage that holds elements until the watermark, and a
// sink. Every completed checkpoint must satisfy: every element emitted
// before its barrier with time < retainedFrom has reached the sink.
func TestCheckpointRetention(t *testing.T) {
	for _, cancelEarly := range []bool{false, true} {
		p := New(WithCheckpointInterval(time.Millisecond), WithBatchSize(64), WithParallelism(2))
		var mu sync.Mutex
		positions := map[uint64]int{}
		type done struct {
			pos      int
			retained int64
		}
		var completions []done
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		const n = 200000
		src := From(p, SourceFunc[int64](func(ctx context.Context, out *Emitter[int64]) error {
			i := 0
			out.OnCheckpoint(CheckpointFuncs{
				Prepare: func(id uint64) { mu.Lock(); positions[id] = i; mu.Unlock() },
				Complete: func(id uint64, retained int64) {
					mu.Lock()
					completions = append(completions, done{positions[id], retained})
					mu.Unlock()
				},
			})
			for ; i < n; i++ {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				out.EmitNanos(int64(i), int64(i))
				if i%100 == 99 {
					out.Watermark(int64(i - 1000)) // hold the last ~1000
				}
				if cancelEarly && i == n/2 {
					cancel()
				}
			}
			return nil
		}), Watermarks(NoWatermarks()))
		held := ApplyKeyed(KeyBy(src, func(x int64) int64 { return x % 3 }), "hold", func(c *OpContext[int64]) Operator[int64] {
			return &holdOp{c: c}
		})
		sink := &collectSink[int64]{}
		var sinkMu sync.Mutex
		seenAt := map[int64]bool{}
		To(Tap(held, func(v int64) { sinkMu.Lock(); seenAt[v] = true; sinkMu.Unlock() }), sink)
		err := p.Run(ctx)
		if cancelEarly != (err != nil) {
			t.Fatalf("cancel %v: Run: %v", cancelEarly, err)
		}
		if len(completions) < 2 {
			t.Fatalf("only %d checkpoints completed", len(completions))
		}
		last := completions[len(completions)-1]
		if !cancelEarly && (last.pos != n || last.retained != MaxTime) {
			t.Fatalf("final checkpoint %+v, want everything done", last)
		}
		if cancelEarly && last.retained == MaxTime {
			t.Fatalf("cancelled run's final checkpoint holds nothing: %+v", last)
		}
		// Element v has time v, so checkpoint c is sound iff every v below
		// min(c.pos, c.retained) reached the sink.
		firstUnseen := int64(0)
		for seenAt[firstUnseen] {
			firstUnseen++
		}
		for _, c := range completions {
			if need := min(int64(c.pos), c.retained); need > firstUnseen {
				t.Fatalf("checkpoint %+v: element %d was before the barrier and below the retention but never reached the sink", c, firstUnseen)
			}
		}
	}
}

// TestKeyPanicNamesKeyedStage: the key function runs where the stream is
// partitioned; its panic is attributed to the keyed stage it feeds.
func TestKeyPanicNamesKeyedStage(t *testing.T) {
	defer goleak.VerifyNone(t)
	p := New(WithParallelism(2))
	ks := KeyBy(From(p, sliceSource([]int64{1, 2, 3})), func(x int64) int64 {
		if x == 3 {
			panic("bad key")
		}
		return x
	})
	To(Dedupe(ks, time.Second, Name("dedupe")), &collectSink[int64]{})
	err := p.Run(context.Background())
	var se *StageError
	if !errors.As(err, &se) || se.Stage != "dedupe" {
		t.Fatalf("got %v", err)
	}
}

type inputWMOp struct {
	mu   *sync.Mutex
	seen map[int][]int64
}

func (o *inputWMOp) ProcessLeft([]Event[int64])  {}
func (o *inputWMOp) ProcessRight([]Event[int64]) {}
func (o *inputWMOp) OnWatermark(int64)           {}
func (o *inputWMOp) OnEnd()                      {}
func (o *inputWMOp) OnInputWatermark(input int, wm int64, idle bool) {
	o.mu.Lock()
	o.seen[input] = append(o.seen[input], wm)
	o.mu.Unlock()
}

// TestInputWatermarks: a two-input operator learns each input's own
// watermark, in order, ending with the final one.
func TestInputWatermarks(t *testing.T) {
	scripted := func(wms ...int64) Source[int64] {
		return SourceFunc[int64](func(ctx context.Context, out *Emitter[int64]) error {
			for _, w := range wms {
				out.EmitNanos(w, w)
				out.Watermark(w)
			}
			return nil
		})
	}
	p := New()
	l := KeyBy(From(p, scripted(10, 20, 30)), func(x int64) int64 { return x })
	r := KeyBy(From(p, scripted(5, 500)), func(x int64) int64 { return x })
	var mu sync.Mutex
	op := &inputWMOp{mu: &mu, seen: map[int][]int64{}}
	To(ApplyKeyed2(l, r, "join", func(*OpContext[int]) Operator2[int64, int64] { return op }), &collectSink[int]{})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := op.seen[0], []int64{10, 20, 30, MaxTime}; !slices.Equal(got, want) {
		t.Errorf("left watermarks %v, want %v", got, want)
	}
	if got, want := op.seen[1], []int64{5, 500, MaxTime}; !slices.Equal(got, want) {
		t.Errorf("right watermarks %v, want %v", got, want)
	}
}
