package streamtest_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/stream/streamtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestScriptTrace(t *testing.T) {
	streamtest.VerifyNoLeaks(t)
	p := stream.New()
	in := streamtest.NewScript[int]().Add(1, 10).Add(2, 20).Watermark(20).Add(3, 5).Add(4, 30)
	out := streamtest.Record(stream.Map(streamtest.From(p, in), func(x int) int { return 2 * x }))
	streamtest.Run(t, p)
	streamtest.Equal(t, out.Trace(), "2@10\n4@20\nwm 20\n6@5\n8@30\nwm max\n")
	streamtest.Equal(t, out.SortedTrace(), out.Trace()) // single instance: already canonical
	streamtest.Equal(t, out.Values(), []int{2, 4, 6, 8})
	streamtest.Equal(t, out.Watermarks(), []int64{20, stream.MaxTime})
	if ended, final := out.Ended(); !ended || !final {
		t.Fatalf("Ended() = %v, %v, want true, true", ended, final)
	}
}

func TestEmptyScript(t *testing.T) {
	p := stream.New()
	out := streamtest.Record(streamtest.From(p, &streamtest.Script[string]{}))
	streamtest.Run(t, p)
	streamtest.Equal(t, out.Trace(), "wm max\n")
	if out.Values() != nil {
		t.Fatalf("Values() = %#v, want nil", out.Values())
	}
}

// A keyed per-key count fired by an event-time timer at each scripted
// watermark: the recorder shows results between the right watermarks.
func TestKeyedTimersParallel(t *testing.T) {
	p := stream.New()
	in := streamtest.NewScript[string]().
		AddAll(1, "a", "b", "a").Watermark(10).
		AddAll(11, "b", "c").Watermark(20)
	type count struct {
		K string
		N int
	}
	ks := stream.KeyBy(streamtest.From(p, in), func(s string) string { return s }, stream.Parallelism(2))
	counts := stream.Process(ks, func(c *stream.KeyedContext[string, int, count], v string) {
		*c.State()++
		c.SetEventTimer(c.Time()/10*10 + 9)
	}, func(c *stream.KeyedContext[string, int, count], tm stream.Timer) {
		c.Emit(count{c.Key(), *c.State()})
		c.ClearState()
	})
	out := streamtest.Record(counts)
	streamtest.Run(t, p)
	streamtest.Equal(t, out.SortedTrace(), "{a 2}@9\n{b 1}@9\nwm 10\n{b 1}@19\n{c 1}@19\nwm 20\nwm max\n")
}

// Idle lets a Union's watermark pass an input that has nothing to say.
func TestIdle(t *testing.T) {
	p := stream.New()
	a := streamtest.From(p, streamtest.NewScript[int]().Add(1, 1).Watermark(5).Idle().Sleep(200*time.Millisecond))
	b := streamtest.From(p, streamtest.NewScript[int]().Add(2, 2).Watermark(50).Sleep(100*time.Millisecond))
	out := streamtest.Record(stream.Union(a, b))
	streamtest.Run(t, p)
	wms := out.Watermarks()
	found := false
	for _, w := range wms {
		found = found || w == 50
	}
	if !found {
		t.Fatalf("watermarks %v: want 50 to pass while the other input is idle", wms)
	}
}

func TestSleepTicks(t *testing.T) {
	// A processing-time timer fires during a Sleep.
	p := stream.New(stream.WithTickInterval(time.Millisecond))
	in := streamtest.NewScript[string]().Add("x", 1).Sleep(100 * time.Millisecond)
	ks := stream.KeyBy(streamtest.From(p, in), func(s string) string { return s })
	fired := stream.Process(ks, func(c *stream.KeyedContext[string, struct{}, string], v string) {
		c.SetProcessingTimer(time.Now().UnixNano())
	}, func(c *stream.KeyedContext[string, struct{}, string], tm stream.Timer) {
		if tm.Kind == stream.ProcessingTimer {
			c.Emit("fired " + c.Key())
		}
	})
	out := streamtest.Record(fired)
	streamtest.Run(t, p)
	streamtest.Equal(t, out.Values(), []string{"fired x"})
}

func TestRunErrCancelled(t *testing.T) {
	p := stream.New()
	in := streamtest.NewScript[int]().Add(1, 1).Sleep(time.Hour)
	streamtest.Record(streamtest.From(p, in))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Run(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Run = %v, want %v", err, context.DeadlineExceeded)
	}
}

// fakeT records Fatal instead of stopping the test, to test the helpers'
// failures.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = format
	panic(f)
}

func catch(f *fakeT, fn func()) (failed bool) {
	defer func() {
		if r := recover(); r != nil {
			if r != f {
				panic(r)
			}
			failed = true
		}
	}()
	fn()
	return false
}

func TestEqualReports(t *testing.T) {
	f := &fakeT{TB: t}
	if catch(f, func() { streamtest.Equal(f, []int{1, 2}, []int{1, 2}) }) {
		t.Fatal("Equal failed on equal slices")
	}
	if !catch(f, func() { streamtest.Equal(f, []int{1, 2}, []int{1, 3}) }) {
		t.Fatal("Equal passed on different slices")
	}
	if !catch(f, func() { streamtest.Equal(f, "a\nb\n", "a\nc\n") }) {
		t.Fatal("Equal passed on different strings")
	}
}

func TestRunWithinTimesOut(t *testing.T) {
	f := &fakeT{TB: t}
	p := stream.New(stream.WithDrainTimeout(time.Second))
	streamtest.Record(streamtest.From(p, streamtest.NewScript[int]().Sleep(time.Hour)))
	if !catch(f, func() { streamtest.RunWithin(f, p, 50*time.Millisecond) }) {
		t.Fatal("RunWithin did not fail the test on a hanging pipeline")
	}
}

func TestFormatTime(t *testing.T) {
	for _, c := range []struct {
		ts   int64
		want string
	}{{stream.MinTime, "min"}, {stream.MaxTime, "max"}, {0, "0"}, {-3, "-3"}} {
		if got := streamtest.FormatTime(c.ts); got != c.want {
			t.Errorf("FormatTime(%d) = %q, want %q", c.ts, got, c.want)
		}
	}
}

type leakT struct {
	testing.TB
	cleanup func()
	errors  int
}

func (l *leakT) Helper()                        {}
func (l *leakT) Cleanup(f func())               { l.cleanup = f }
func (l *leakT) Errorf(format string, a ...any) { l.errors++ }

func TestVerifyNoLeaksReports(t *testing.T) {
	l := &leakT{TB: t}
	streamtest.VerifyNoLeaks(l)
	stop := make(chan struct{})
	go func() { <-stop }() // runs code of this (weir) package
	l.cleanup()
	close(stop)
	if l.errors != 1 {
		t.Fatalf("VerifyNoLeaks reported %d errors for a leaked goroutine, want 1", l.errors)
	}
	l = &leakT{TB: t}
	streamtest.VerifyNoLeaks(l)
	l.cleanup()
	if l.errors != 0 {
		t.Fatal("VerifyNoLeaks reported a leak where there is none")
	}
}
