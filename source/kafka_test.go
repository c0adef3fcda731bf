package source_test

import (
	"context"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir/internal/kafkatest"
	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

func runFor(t testing.TB, p *stream.Pipeline, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return p.Run(ctx)
}

// TestKafkaEndToEnd: topic → decode → keyed per-minute count → topic, read
// back read_committed, equals the oracle exactly.
func TestKafkaEndToEnd(t *testing.T) {
	for _, group := range []string{"", "g-e2e"} {
		t.Run("group="+group, func(t *testing.T) {
			c := kafkatest.New(t, 4, "in", "out")
			recs, oracle := genVotes(20_000, 50, 20*time.Minute, 0, 1)
			c.Produce(t, recs)
			p := countPipeline(c, kafkaSource(t, c, group, source.KafkaStopAtEnd()), "out", stream.WithCheckpointInterval(50*time.Millisecond))
			if err := runFor(t, p, time.Minute); err != nil {
				t.Fatalf("Run: %v", err)
			}
			got, n := readCounts(t, c, "out")
			if n != len(oracle) {
				t.Errorf("%d results, want %d", n, len(oracle))
			}
			diffCounts(t, got, oracle, true)
		})
	}
}

// TestKafkaDeadLetters: malformed records go to the DLQ topic with the error
// and their origin in headers; the others are counted.
func TestKafkaDeadLetters(t *testing.T) {
	c := kafkatest.New(t, 3, "in", "out", "dlq")
	recs, oracle := genVotes(3_000, 20, 5*time.Minute, 100, 2)
	c.Produce(t, recs)
	bad := map[string]*kgo.Record{}
	for _, r := range recs {
		if r.Value[len(r.Value)-1] != '}' {
			bad[r.Topic+"/"+strconv.Itoa(int(r.Partition))+"@"+strconv.FormatInt(r.Offset, 10)] = r
		}
	}

	p := stream.New(stream.WithCheckpointInterval(50 * time.Millisecond))
	votes := stream.From(p, kafkaSource(t, c, "g-dlq", source.KafkaStopAtEnd()), stream.Name("kafka"),
		stream.OnError(stream.DeadLetterOnError))
	stream.To(countPerMinute(votes), sink.Kafka("out", countRecord, kgo.SeedBrokers(c.Addrs...)))
	stream.To(p.DeadLetters(), sink.KafkaDeadLetters("dlq", kgo.SeedBrokers(c.Addrs...)))
	if err := runFor(t, p, time.Minute); err != nil {
		t.Fatalf("Run: %v", err)
	}
	got, _ := readCounts(t, c, "out")
	diffCounts(t, got, oracle, true)

	dl := c.ReadAll(t, "dlq")
	if len(dl) != len(bad) || len(bad) != 30 {
		t.Fatalf("%d dead letters, want %d (30)", len(dl), len(bad))
	}
	for _, r := range dl {
		h := map[string]string{}
		for _, x := range r.Headers {
			h[x.Key] = string(x.Value)
		}
		key := h[sink.HeaderOriginTopic] + "/" + h[sink.HeaderOriginPartition] + "@" + h[sink.HeaderOriginOffset]
		orig := bad[key]
		if orig == nil {
			t.Fatalf("dead letter %s (headers %v) matches no malformed record", key, h)
		}
		if string(r.Key) != string(orig.Key) || string(r.Value) != string(orig.Value) || h["origin"] != "gen" {
			t.Errorf("dead letter %s = key %q value %q headers %v, want the original key %q value %q and header origin=gen", key, r.Key, r.Value, h, orig.Key, orig.Value)
		}
		if h[sink.HeaderError] == "" || h[sink.HeaderStage] != "kafka" {
			t.Errorf("dead letter %s: error %q stage %q", key, h[sink.HeaderError], h[sink.HeaderStage])
		}
		if !r.Timestamp.Equal(orig.Timestamp) {
			t.Errorf("dead letter %s: timestamp %v, want %v", key, r.Timestamp, orig.Timestamp)
		}
	}
}

// TestKafkaDecodeErrorFails: under the default policy a malformed record
// fails the pipeline with an error naming the record.
func TestKafkaDecodeErrorFails(t *testing.T) {
	c := kafkatest.New(t, 1, "in", "out")
	recs, _ := genVotes(100, 5, time.Minute, 50, 3)
	c.Produce(t, recs)
	p := countPipeline(c, kafkaSource(t, c, "", source.KafkaStopAtEnd()), "out")
	err := runFor(t, p, 30*time.Second)
	var se *stream.StageError
	if !errors.As(err, &se) || se.Stage != "kafka" {
		t.Fatalf("Run = %v, want a StageError of stage kafka", err)
	}
}

// slowSink counts elements and sleeps per batch.
type slowSink struct {
	n     atomic.Int64
	delay time.Duration
}

func (s *slowSink) Write(_ context.Context, b []stream.Event[vote]) error {
	s.n.Add(int64(len(b)))
	time.Sleep(s.delay)
	return nil
}
func (s *slowSink) Flush(context.Context) error { return nil }

// TestKafkaBackpressure: a slow sink behind a large topic keeps the heap
// bounded: fetching stops while the pipeline is blocked.
func TestKafkaBackpressure(t *testing.T) {
	n := 120_000
	if testing.Short() || raceEnabled {
		n = 60_000
	}
	c := kafkatest.New(t, 4, "in")
	// Large incompressible values so that the topic (~n KiB) dwarfs what may
	// be buffered. (Fetch limits count compressed bytes: a well-compressed
	// topic buffers more once decompressed.)
	rng := rand.New(rand.NewPCG(9, 9))
	recs := make([]*kgo.Record, n)
	for i := range recs {
		pad := make([]byte, 450)
		for j := range pad {
			pad[j] = byte(rng.Uint32())
		}
		v := `{"k":"k` + strconv.Itoa(i%100) + `","t":1,"pad":"` + hex.EncodeToString(pad) + `"}`
		recs[i] = &kgo.Record{Topic: "in", Key: []byte(strconv.Itoa(i % 100)), Value: []byte(v), Timestamp: t0}
	}
	c.Produce(t, recs)
	recs = nil
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	s := &slowSink{delay: 100 * time.Millisecond}
	p := stream.New(stream.WithExchangeCapacity(4))
	votes := stream.From(p, kafkaSource(t, c, ""))
	stream.To(votes, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	var peak uint64
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		runtime.GC() // live heap, not garbage awaiting collection
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapAlloc)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	got := s.n.Load()
	if got == 0 || got >= int64(n) {
		t.Fatalf("slow sink saw %d of %d records: the test needs a backlog", got, n)
	}
	topic := uint64(n) * 1000
	growth := int64(peak) - int64(base.HeapAlloc)
	t.Logf("consumed %d of %d records; heap growth %.1f MiB (topic %.1f MiB)", got, n, float64(growth)/(1<<20), float64(topic)/(1<<20))
	// kgo may buffer MaxConcurrentFetches × FetchMaxBytes (16 MiB) plus one
	// poll (4096 records) in flight; allow 40 MiB, well below the topic.
	if limit := int64(40 << 20); growth > limit {
		t.Errorf("heap grew by %d MiB, want < %d MiB", growth>>20, limit>>20)
	}
}

// TestKafkaIdlePartition: an empty partition does not stall event time once
// it is idle: windows of the other partition fire while the source runs.
func TestKafkaIdlePartition(t *testing.T) {
	c := kafkatest.New(t, 2, "in", "out")
	recs, oracle := genVotes(600, 5, 3*time.Minute, 0, 7)
	for _, r := range recs {
		r.Partition = 0
	}
	c.Produce(t, recs, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	// Every window but the last can fire before the input ends.
	last := t0.Add(2 * time.Minute).UnixNano()
	for k := range oracle {
		if k.W >= last {
			delete(oracle, k)
		}
	}
	// In a group the empty partition is assigned, so it holds the minimum
	// until it is idle.
	p := countPipeline(c, kafkaSource(t, c, "g-idle", source.KafkaIdleTimeout(100*time.Millisecond)), "out")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, _ := readCounts(t, c, "out")
		if len(got) >= len(oracle) {
			diffCounts(t, got, oracle, true)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d windows fired: the idle partition stalls the watermark", len(got), len(oracle))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
}
