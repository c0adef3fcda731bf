package source_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir/internal/kafkatest"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

// TestKafkaCrashRestart cancels the pipeline at random points (gracefully, or
// stopped hard without a final checkpoint) several times, restarting it on
// the same group each time, then lets the last run finish: every window's
// final count is >= the oracle's (at least once), and in practice equal as
// replayed windows are recounted from scratch.
func TestKafkaCrashRestart(t *testing.T) {
	n, crashes := 60_000, 6
	if testing.Short() || raceEnabled {
		n, crashes = 20_000, 4
	}
	c := kafkatest.New(t, 4, "in", "out")
	recs, oracle := genVotes(n, 40, 40*time.Minute, 0, 4)
	c.Produce(t, recs)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range crashes + 1 {
		opts := []stream.Option{stream.WithCheckpointInterval(10 * time.Millisecond)}
		hard := i%2 == 1
		if hard {
			opts = append(opts, stream.WithDrainTimeout(0))
		}
		p, read := throttledCountPipeline(c, kafkaSource(t, c, "g-crash", source.KafkaStopAtEnd()), "out", 200, opts...)
		if i == crashes {
			if err := runFor(t, p, time.Minute); err != nil {
				t.Fatalf("final run: %v", err)
			}
			m, _ := p.Stage("kafka")
			t.Logf("final run read %d records", m.Out)
			if m.Out >= uint64(n) {
				t.Errorf("the final run read %d records: nothing was committed before", m.Out)
			}
			break
		}
		// Cancel once this run has read a random share of the input.
		target := uint64(n/20 + rng.IntN(n/4))
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			defer cancel()
			for ctx.Err() == nil {
				if read.Load() >= int64(target) {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
		err := p.Run(ctx)
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, stream.ErrDrainTimeout) {
			t.Fatalf("run %d: %v", i, err)
		}
		m, _ := p.Stage("kafka")
		_, res := readCounts(t, c, "out")
		committed := c.Committed(t, "g-crash")
		t.Logf("run %d: cancelled after %d records (hard %v), read %d records, finished=%v; %d results so far; committed %v, wm %v", i, target, hard, m.Out, err == nil, res, committed, stream.ToTime(m.Watermark))
	}
	got, results := readCounts(t, c, "out")
	t.Logf("%d results for %d windows", results, len(oracle))
	diffCounts(t, got, oracle, false)
}

// TestKafkaScaleOut runs two pipelines in one group: they split the
// partitions and together produce the oracle's counts; then one stops and
// the other takes over its partitions, losing nothing.
func TestKafkaScaleOut(t *testing.T) {
	n := 16_000
	c := kafkatest.New(t, 4, "in", "out")
	recs, oracle := genVotes(n, 40, 30*time.Minute, 0, 6)
	half := n / 2

	type inst struct {
		p    *stream.Pipeline
		read *atomic.Int64
		stop context.CancelFunc
		done chan error
	}
	start := func() *inst {
		p, read := throttledCountPipeline(c, kafkaSource(t, c, "g-scale"), "out", 0, stream.WithCheckpointInterval(20*time.Millisecond))
		ctx, cancel := context.WithCancel(context.Background())
		in := &inst{p: p, read: read, stop: cancel, done: make(chan error, 1)}
		go func() { in.done <- p.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-in.done })
		return in
	}
	read := func(in *inst) uint64 { return uint64(in.read.Load()) }
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	a, b := start(), start()
	if _, err := c.WaitGroupStable(t.Context(), "g-scale", 2); err != nil {
		t.Fatal(err)
	}
	c.Produce(t, recs[:half])
	waitFor("both instances to read the first half", func() bool { return read(a)+read(b) >= uint64(half) })
	ra, rb := read(a), read(b)
	t.Logf("first half: a read %d, b read %d", ra, rb)
	if ra == 0 || rb == 0 {
		t.Errorf("partitions not split: a read %d, b read %d", ra, rb)
	}

	// a stops gracefully: its final checkpoint commits below its open
	// windows; b takes its partitions over and reads them from there.
	a.stop()
	if err := <-a.done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a: Run = %v", err)
	}
	a.done <- nil // for the cleanup
	// The rest of the input arrives once b owns every partition. (Records
	// of a partition taken over after b's watermark passed them would be
	// late for b's windows.)
	if _, err := c.WaitGroupStable(t.Context(), "g-scale", 1); err != nil {
		t.Fatal(err)
	}
	c.Produce(t, recs[half:])
	// One record far in the future per partition advances every partition's
	// watermark past the data, firing all its windows.
	var flush []*kgo.Record
	for p := range int32(4) {
		flush = append(flush, &kgo.Record{Topic: "in", Partition: p, Key: []byte("flush"), Value: []byte(`{"k":"flush","t":0}`),
			Timestamp: t0.Add(24 * time.Hour)})
	}
	c.Produce(t, flush, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	waitFor("b to count every window", func() bool {
		got, _ := readCounts(t, c, "out")
		missing := 0
		for k, v := range oracle {
			if got[k] < v {
				missing++
			}
		}
		return missing == 0
	})
	got, results := readCounts(t, c, "out")
	t.Logf("b read %d records; %d results for %d windows", read(b), results, len(oracle))
	diffCounts(t, got, oracle, true)
}
