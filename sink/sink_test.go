package sink_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func equal[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

// timed emits xs at event times 10, 20, 30...
func timed[T any](xs ...T) stream.Source[T] {
	return stream.SourceFunc[T](func(ctx context.Context, out *stream.Emitter[T]) error {
		for i, x := range xs {
			out.EmitNanos(x, int64(10*(i+1)))
		}
		return nil
	})
}

func runP(t *testing.T, p *stream.Pipeline) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return p.Run(ctx)
}

func TestFuncOrderAndTimes(t *testing.T) {
	p := stream.New(stream.WithBatchSize(2))
	s := stream.From(p, timed("a", "b", "c", "d", "e"))
	var got []string
	sink.To(s, sink.Func(func(v string) error { got = append(got, v); return nil }))
	var times []int64
	sink.To(s, sink.EventFunc(func(e stream.Event[string]) error { times = append(times, e.Time); return nil }))
	if err := runP(t, p); err != nil {
		t.Fatal(err)
	}
	equal(t, got, []string{"a", "b", "c", "d", "e"})
	equal(t, times, []int64{10, 20, 30, 40, 50})
}

func TestFuncErrorFailsNamingSink(t *testing.T) {
	boom := errors.New("boom")
	p := stream.New()
	sink.To(stream.From(p, source.Slice([]int{1, 2, 3})), sink.Func(func(v int) error {
		if v == 2 {
			return boom
		}
		return nil
	}), stream.Name("publish"))
	err := runP(t, p)
	var se *stream.StageError
	if !errors.Is(err, boom) || !errors.As(err, &se) || se.Stage != "publish" {
		t.Fatalf("Run = %v, want boom from stage publish", err)
	}
}

func TestNilFunc(t *testing.T) {
	for _, k := range []stream.Sink[int]{sink.Func[int](nil), sink.EventFunc[int](nil)} {
		p := stream.New()
		sink.To(stream.From(p, source.Slice([]int{1})), k)
		if err := runP(t, p); err == nil || !strings.Contains(err.Error(), "nil function") {
			t.Fatalf("Run = %v, want a nil function error", err)
		}
	}
}

func TestChan(t *testing.T) {
	ch := make(chan int)
	p := stream.New()
	sink.To(stream.From(p, source.Slice([]int{1, 2, 3})), sink.Chan(ch))
	var err error
	go func() { err = runP(t, p); close(ch) }()
	var got []int
	for v := range ch {
		got = append(got, v)
	}
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, []int{1, 2, 3})
}

// A send blocked on a channel nobody reads gives up when the pipeline fails.
func TestChanGivesUpOnFailure(t *testing.T) {
	defer goleak.VerifyNone(t)
	boom := errors.New("boom")
	p := stream.New()
	s := stream.From(p, source.Slice([]int{1, 2, 3}))
	// Behind a Union, the blocking sink runs in a task of its own.
	sink.To(stream.Union(s), sink.Chan(make(chan int)))
	var once sync.Once
	sink.To(s, sink.Func(func(int) error {
		var err error
		once.Do(func() { time.Sleep(20 * time.Millisecond); err = boom })
		return err
	}))
	start := time.Now()
	if err := runP(t, p); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want boom", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Run took %v", d)
	}
}

func TestCollect(t *testing.T) {
	c := sink.Collect[string]()
	equal(t, c.Values(), []string{})
	equal(t, c.Events(), []stream.Event[string]{})
	p := stream.New(stream.WithBatchSize(2))
	sink.To(stream.From(p, timed("a", "b", "c")), c)
	if err := runP(t, p); err != nil {
		t.Fatal(err)
	}
	equal(t, c.Values(), []string{"a", "b", "c"})
	equal(t, c.Events(), []stream.Event[string]{{Value: "a", Time: 10}, {Value: "b", Time: 20}, {Value: "c", Time: 30}})
	equal(t, c.Len(), 3)
	var it []string
	for v := range c.All() {
		it = append(it, v)
		if v == "b" {
			break
		}
	}
	equal(t, it, []string{"a", "b"})
	var ts []int64
	for tm := range c.AllEvents() {
		ts = append(ts, tm)
	}
	equal(t, ts, []int64{10, 20, 30})
	c.Reset()
	equal(t, c.Len(), 0)
}

// Collect may be read while the pipeline writes to it (run with -race).
func TestCollectConcurrentReads(t *testing.T) {
	c := sink.Collect[int]()
	ch := make(chan int)
	p := stream.New(stream.WithBatchSize(1))
	sink.To(stream.From(p, source.Chan(ch)), c)
	done := make(chan error)
	go func() { done <- runP(t, p) }()
	for i := range 100 {
		ch <- i
		_ = c.Values()
		for range c.All() {
		}
	}
	close(ch)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	equal(t, c.Len(), 100)
}

type rec struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	p := stream.New()
	sink.To(stream.From(p, source.Slice([]rec{{"a<b", 1}, {"c", 2}})), sink.JSONLines[rec](&buf))
	if err := runP(t, p); err != nil {
		t.Fatal(err)
	}
	equal(t, buf.String(), "{\"name\":\"a<b\",\"n\":1}\n{\"name\":\"c\",\"n\":2}\n")
}

// JSONLines and JSON are inverses.
func TestJSONRoundTrip(t *testing.T) {
	in := []rec{{"x", 1}, {"y\nz", 2}, {"", 0}}
	var buf bytes.Buffer
	p := stream.New()
	sink.To(stream.From(p, source.Slice(in)), sink.JSONLines[rec](&buf))
	if err := runP(t, p); err != nil {
		t.Fatal(err)
	}
	p = stream.New()
	c := sink.Collect[rec]()
	sink.To(stream.From(p, source.JSON[rec](&buf)), c)
	if err := runP(t, p); err != nil {
		t.Fatal(err)
	}
	equal(t, c.Values(), in)
}

type errWriter struct{}

var errFull = errors.New("disk full")

func (errWriter) Write([]byte) (int, error) { return 0, errFull }

func TestWriterErrorFails(t *testing.T) {
	for _, k := range []stream.Sink[rec]{sink.JSONLines[rec](errWriter{}), sink.Lines[rec](errWriter{})} {
		p := stream.New()
		sink.To(stream.From(p, source.Slice([]rec{{"a", 1}})), k, stream.Name("out"))
		err := runP(t, p)
		var se *stream.StageError
		if !errors.Is(err, errFull) || !errors.As(err, &se) || se.Stage != "out" {
			t.Fatalf("Run = %v, want disk full from stage out", err)
		}
	}
}

func TestJSONLinesUnencodable(t *testing.T) {
	p := stream.New()
	sink.To(stream.From(p, source.Slice([]any{1, make(chan int)})), sink.JSONLines[any](&bytes.Buffer{}))
	if err := runP(t, p); err == nil {
		t.Fatal("Run succeeded encoding a channel")
	}
}

func TestLines(t *testing.T) {
	var buf bytes.Buffer
	p := stream.New()
	sink.To(stream.From(p, source.Slice([]any{1, "two", time.Duration(3e9), rec{"r", 4}})), sink.Lines[any](&buf))
	if err := runP(t, p); err != nil {
		t.Fatal(err)
	}
	equal(t, buf.String(), "1\ntwo\n3s\n{r 4}\n")
}

func TestDiscard(t *testing.T) {
	d := sink.Discard[int]()
	p := stream.New()
	s := stream.From(p, source.Slice(make([]int, 1000)))
	sink.To(s, d)
	sink.To(stream.Filter(s, func(int) bool { return true }), d)
	if err := runP(t, p); err != nil {
		t.Fatal(err)
	}
	equal(t, d.Count(), int64(2000))
}
