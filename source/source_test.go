package source_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// run runs src through an identity pipeline into a Collection.
func run[T any](t *testing.T, src stream.Source[T], opts ...stream.StageOption) ([]T, error) {
	t.Helper()
	p := stream.New(stream.WithBatchSize(4))
	c := sink.Collect[T]()
	sink.To(stream.From(p, src, opts...), c)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := p.Run(ctx)
	return c.Values(), err
}

func mustRun[T any](t *testing.T, src stream.Source[T], opts ...stream.StageOption) []T {
	t.Helper()
	got, err := run(t, src, opts...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return got
}

func equal[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

func ints(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

func TestSlice(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 1000} {
		equal(t, mustRun(t, source.Slice(ints(n))), ints(n))
	}
	equal(t, mustRun(t, source.Slice[int](nil)), []int{})
}

func TestSeq(t *testing.T) {
	equal(t, mustRun(t, source.Seq(func(yield func(int) bool) {
		for i := range 10 {
			if !yield(i) {
				return
			}
		}
	})), ints(10))
	equal(t, mustRun(t, source.Seq[int](nil)), []int{})
}

// An infinite Seq stops pulling when the pipeline is cancelled.
func TestSeqCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	stopped := make(chan struct{})
	var forever iter.Seq[int] = func(yield func(int) bool) {
		defer close(stopped)
		for i := 0; yield(i); i++ {
		}
	}
	p := stream.New()
	sink.To(stream.From(p, source.Seq(forever)), sink.Discard[int]())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want deadline exceeded", err)
	}
	<-stopped
}

func TestChanClosedEnds(t *testing.T) {
	ch := make(chan int, 10)
	for i := range 10 {
		ch <- i
	}
	close(ch)
	equal(t, mustRun(t, source.Chan(ch)), ints(10))
}

// Each element sent on the channel reaches the sink without waiting for a
// batch to fill or for the channel to close.
func TestChanLowLatency(t *testing.T) {
	ch := make(chan int)
	got := make(chan int)
	p := stream.New(stream.WithTickInterval(time.Hour)) // no help from the linger
	sink.To(stream.From(p, source.Chan(ch)), sink.Chan(got))
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	for i := range 5 {
		select {
		case ch <- i:
		case <-time.After(5 * time.Second):
			t.Fatal("source does not receive")
		}
		select {
		case v := <-got:
			if v != i {
				t.Fatalf("got %d, want %d", v, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("element %d not delivered before the next one", i)
		}
	}
	close(ch)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestChanCancelWhileWaiting(t *testing.T) {
	defer goleak.VerifyNone(t)
	p := stream.New()
	c := sink.Collect[int]()
	ch := make(chan int, 1)
	ch <- 7
	sink.To(stream.From(p, source.Chan(ch)), c)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for c.Len() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	if err := p.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Run took %v", d)
	}
	equal(t, c.Values(), []int{7})
}

func TestGeneratorDeterministic(t *testing.T) {
	f := func(i int64, rng *rand.Rand) [2]int64 { return [2]int64{i, rng.Int64N(1000)} }
	a := mustRun(t, source.Generator(f, source.Count(100), source.Seed(42)))
	b := mustRun(t, source.Generator(f, source.Count(100), source.Seed(42)))
	c := mustRun(t, source.Generator(f, source.Count(100), source.Seed(43)))
	equal(t, a, b)
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same sequence")
	}
	if len(a) != 100 || a[99][0] != 99 {
		t.Fatalf("got %d elements, last %v", len(a), a[len(a)-1])
	}
	equal(t, mustRun(t, source.Generator(f, source.Count(0))), [][2]int64{})
}

func TestGeneratorEventTimes(t *testing.T) {
	start := time.Unix(1000, 0)
	p := stream.New()
	c := sink.Collect[int64]()
	sink.To(stream.From(p, source.Generator(func(i int64, _ *rand.Rand) int64 { return i },
		source.Count(3), source.EventTimes(start, time.Second))), c)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	equal(t, c.Events(), []stream.Event[int64]{
		{Value: 0, Time: start.UnixNano()},
		{Value: 1, Time: start.Add(time.Second).UnixNano()},
		{Value: 2, Time: start.Add(2 * time.Second).UnixNano()},
	})
}

func TestGeneratorRate(t *testing.T) {
	// 20 elements at 200/s: about 95 ms (the first is due at once), without
	// spinning: the source goroutine sleeps between elements.
	p := stream.New()
	var ts []time.Time
	sink.To(stream.From(p, source.Generator(func(i int64, _ *rand.Rand) int64 { return i },
		source.Rate(200), source.Count(20))), sink.Func(func(int64) error {
		ts = append(ts, time.Now())
		return nil
	}))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	if len(ts) != 20 {
		t.Fatalf("got %d elements", len(ts))
	}
	if d < 90*time.Millisecond || d > 3*time.Second {
		t.Fatalf("20 elements at 200/s took %v", d)
	}
	// Elements are delivered as they are generated, not in one batch at the
	// end.
	if spread := ts[19].Sub(ts[0]); spread < 50*time.Millisecond {
		t.Fatalf("elements delivered within %v of each other: not paced", spread)
	}
}

func TestGeneratorInvalidOptions(t *testing.T) {
	f := func(i int64, _ *rand.Rand) int64 { return i }
	for _, src := range []stream.Source[int64]{
		source.Generator(f, source.Rate(0)),
		source.Generator(f, source.Rate(-1)),
		source.Generator(f, source.Count(-1)),
		source.Generator[int64](nil),
	} {
		if _, err := run(t, src); !errors.Is(err, stream.ErrInvalidPipeline) {
			t.Errorf("Run = %v, want ErrInvalidPipeline", err)
		}
	}
}

// Cancelling a pipeline fed by an unbounded generator returns
// context.Canceled quickly and leaves no goroutine behind.
func TestGeneratorCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, paced := range []bool{false, true} {
		opts := []source.GenOption{source.Seed(1)}
		if paced {
			opts = append(opts, source.Rate(1000))
		}
		p := stream.New()
		n := sink.Discard[int64]()
		ks := stream.KeyBy(stream.From(p, source.Generator(func(i int64, rng *rand.Rand) int64 { return rng.Int64N(100) }, opts...)),
			func(x int64) int64 { return x % 7 }, stream.Parallelism(2))
		sink.To(stream.Process(ks, func(c *stream.KeyedContext[int64, int64, int64], x int64) { *c.State() += x; c.Emit(x) }, nil), n)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- p.Run(ctx) }()
		for n.Count() < 10 {
			time.Sleep(time.Millisecond)
		}
		cancel()
		start := time.Now()
		select {
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("paced=%v: Run = %v, want context.Canceled", paced, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("paced=%v: Run did not return within 5s of cancel", paced)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("paced=%v: Run returned %v after cancel", paced, d)
		}
	}
}

func TestLines(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // longer than the read buffer
	in := "a\r\n\nb\n" + long + "\nlast"
	equal(t, mustRun(t, source.Lines(strings.NewReader(in))), []string{"a", "", "b", long, "last"})
	equal(t, mustRun(t, source.Lines(strings.NewReader(""))), []string{})
	equal(t, mustRun(t, source.Lines(strings.NewReader("x\n"))), []string{"x"})
	equal(t, mustRun(t, source.LineBytes(strings.NewReader("ab\ncd"))), [][]byte{[]byte("ab"), []byte("cd")})
}

// LineBytes elements are copies: they survive the reader's buffer reuse.
func TestLineBytesCopies(t *testing.T) {
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, "line-%d\n", i)
	}
	got := mustRun(t, source.LineBytes(strings.NewReader(b.String())))
	for i, l := range got {
		if want := fmt.Sprintf("line-%d", i); string(l) != want {
			t.Fatalf("element %d = %q, want %q", i, l, want)
		}
	}
}

func TestLineTooLong(t *testing.T) {
	in := "ok\n" + strings.Repeat("y", 100) + "\nalso ok\n" + strings.Repeat("z", 100<<10) + "\nend"
	src := func() stream.Source[string] { return source.Lines(strings.NewReader(in), source.MaxLineSize(50)) }
	_, err := run(t, src())
	var le *source.LineError
	if !errors.As(err, &le) || le.Line != 2 || !errors.Is(err, source.ErrLineTooLong) {
		t.Fatalf("Run = %v, want line 2 too long", err)
	}
	got := mustRun(t, src(), stream.OnError(stream.SkipOnError))
	equal(t, got, []string{"ok", "also ok", "end"})
}

// Lines read from a slow reader are processed as they come, before the
// reader delivers more (the source flushes when its buffer is drained).
func TestLinesFlushWhenDrained(t *testing.T) {
	pr, pw := io.Pipe()
	got := make(chan string)
	p := stream.New(stream.WithTickInterval(time.Hour))
	sink.To(stream.From(p, source.Lines(pr)), sink.Chan(got))
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	for i := range 3 {
		want := fmt.Sprintf("line %d", i)
		go fmt.Fprintln(pw, want)
		select {
		case l := <-got:
			if l != want {
				t.Fatalf("got %q, want %q", l, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%q not delivered while the reader waits for more", want)
		}
	}
	pw.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

type failingReader struct{ r io.Reader }

var errDisk = errors.New("disk on fire")

func (f failingReader) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if err == io.EOF {
		return n, errDisk
	}
	return n, err
}

func TestReadErrorFails(t *testing.T) {
	got, err := run(t, source.Lines(failingReader{strings.NewReader("a\nb\n")}), stream.Name("file"))
	var se *stream.StageError
	var le *source.LineError
	if !errors.Is(err, errDisk) || !errors.As(err, &se) || se.Stage != "file" || !errors.As(err, &le) || le.Line != 3 {
		t.Fatalf("Run = %v, want a read error of stage file at line 3", err)
	}
	_ = got
}

func TestDecodeLinesSkipLine(t *testing.T) {
	got := mustRun(t, source.DecodeLines(strings.NewReader("# header\n1\n2\n"), func(l []byte) (string, error) {
		if strings.HasPrefix(string(l), "#") {
			return "", source.SkipLine
		}
		return string(l), nil
	}))
	equal(t, got, []string{"1", "2"})
}

func TestNilReader(t *testing.T) {
	if _, err := run(t, source.Lines(nil)); !errors.Is(err, stream.ErrInvalidPipeline) {
		t.Fatalf("Run = %v, want ErrInvalidPipeline", err)
	}
}

// TestLineSizeExcludesLineEnd: MaxLineSize counts a line's content, not its
// "\n" or "\r\n" end, for short lines and for lines longer than the read
// buffer.
func TestLineSizeExcludesLineEnd(t *testing.T) {
	for _, n := range []int{3, 100 << 10} {
		line := strings.Repeat("x", n)
		in := line + "\r\n" + line + "\n" + line + "y\r\n" + line + "\r"
		got := mustRun(t, source.Lines(strings.NewReader(in), source.MaxLineSize(n)), stream.OnError(stream.SkipOnError))
		if len(got) != 3 || got[0] != line || got[1] != line || got[2] != line {
			t.Fatalf("max %d: got %d lines, want the three of %d bytes (the one of %d skipped)", n, len(got), n, n+1)
		}
	}
}

// TestSliceRunsAgain: a Slice source emits its whole slice on every Run.
func TestSliceRunsAgain(t *testing.T) {
	src := source.Slice([]int{1, 2, 3})
	for range 2 {
		equal(t, mustRun(t, src), []int{1, 2, 3})
	}
}
