package stream

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type recordingHook struct {
	mu      sync.Mutex
	errs    []string
	metrics [][]StageMetrics
}

func (h *recordingHook) OnRecordError(stage string, err error) {
	h.mu.Lock()
	h.errs = append(h.errs, stage+": "+err.Error())
	h.mu.Unlock()
}

func (h *recordingHook) OnMetrics(s []StageMetrics) {
	h.mu.Lock()
	h.metrics = append(h.metrics, s)
	h.mu.Unlock()
}

func TestHooksAndMetrics(t *testing.T) {
	h := &recordingHook{}
	p := New(WithHooks(h), WithErrorPolicy(SkipOnError))
	src := From(p, sliceSource([]int64{1, 2, 3, 4, 5, 6}), Name("numbers"))
	odd := Filter(src, func(x int64) bool { return x%2 == 1 }, Name("odd"))
	checked := MapErr(odd, func(x int64) (int64, error) {
		if x == 5 {
			return 0, errors.New("five")
		}
		return x, nil
	}, Name("check"))
	To(checked, &collectSink[int64]{}, Name("out"))
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(h.errs) != 1 || h.errs[0] != "check: five" {
		t.Fatalf("error hook got %v", h.errs)
	}
	if len(h.metrics) != 1 {
		t.Fatalf("metrics hook called %d times, want once at the end", len(h.metrics))
	}
	want := map[string]StageMetrics{
		"numbers": {Stage: "numbers", Out: 6, Watermark: MaxTime},
		"odd":     {Stage: "odd", In: 6, Out: 3, Dropped: 3, Watermark: MaxTime},
		"check":   {Stage: "check", In: 3, Out: 2, Errors: 1, Watermark: MaxTime},
		"out":     {Stage: "out", In: 2, Watermark: MaxTime},
	}
	for _, m := range h.metrics[0] {
		if w, ok := want[m.Stage]; !ok || m != w {
			t.Errorf("stage %s: got %+v, want %+v", m.Stage, m, w)
		}
	}
	if _, ok := p.Stage("odd"); !ok {
		t.Fatal("Stage(odd) not found")
	}
}

func TestInvalidPipelines(t *testing.T) {
	cases := map[string]func(p *Pipeline){
		"unconsumed": func(p *Pipeline) { Map(From(p, sliceSource([]int64{1})), func(x int64) int64 { return x }) },
		"nil map":    func(p *Pipeline) { To(Map[int64, int64](From(p, sliceSource([]int64{1})), nil), &collectSink[int64]{}) },
		"source option on map": func(p *Pipeline) {
			To(Map(From(p, sliceSource([]int64{1})), func(x int64) int64 { return x }, IdleTimeout(1)), &collectSink[int64]{})
		},
		"no source": func(p *Pipeline) {},
		"parallelism 0": func(p *Pipeline) {
			To(Dedupe(KeyBy(From(p, sliceSource([]int64{1})), func(x int64) int64 { return x }, Parallelism(0)), time.Second), &collectSink[int64]{})
		},
		"wrong extractor type": func(p *Pipeline) {
			To(From(p, sliceSource([]int64{1}), EventTime(func(string) time.Time { return time.Time{} })), &collectSink[int64]{})
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			p := New()
			build(p)
			if err := p.Run(context.Background()); !errors.Is(err, ErrInvalidPipeline) {
				t.Fatalf("got %v, want ErrInvalidPipeline", err)
			}
		})
	}
	p := New()
	To(From(p, sliceSource([]int64{1})), &collectSink[int64]{})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background()); !errors.Is(err, ErrAlreadyRun) {
		t.Fatalf("second Run: %v", err)
	}
	if err := New(WithBatchSize(0)).Run(context.Background()); !errors.Is(err, ErrInvalidPipeline) {
		t.Fatalf("batch size 0: %v", err)
	}
}

// TestPeriodicMetrics: with WithMetricsInterval the hook receives snapshots
// while the pipeline runs, their counts never go back, and the last one,
// sent when Run returns, is final.
func TestPeriodicMetrics(t *testing.T) {
	h := &recordingHook{}
	p := New(WithHooks(h), WithMetricsInterval(2*time.Millisecond), WithTickInterval(time.Millisecond))
	src := From(p, SourceFunc[int64](func(ctx context.Context, out *Emitter[int64]) error {
		deadline := time.After(50 * time.Millisecond)
		for i := range int64(10) {
			out.EmitNanos(i, i)
			out.Flush()
			select {
			case <-time.After(2 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		<-deadline
		return nil
	}), Name("numbers"))
	To(src, &collectSink[int64]{}, Name("out"))
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.metrics) < 3 {
		t.Fatalf("metrics hook called %d times in about 70ms at a 2ms interval", len(h.metrics))
	}
	var last uint64
	for i, snap := range h.metrics {
		for _, m := range snap {
			if m.Stage != "out" {
				continue
			}
			if m.In < last {
				t.Fatalf("snapshot %d: In went back from %d to %d", i, last, m.In)
			}
			last = m.In
		}
	}
	if last != 10 {
		t.Fatalf("last snapshot: out.In = %d, want 10", last)
	}
}
