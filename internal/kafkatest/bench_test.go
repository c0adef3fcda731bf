package kafkatest_test

// The Kafka benchmarks live here rather than in package source: they share
// one pre-produced kfake cluster across benchmark rounds, which would trip
// source's goroutine-leak check (goleak in its TestMain).

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/internal/kafkatest"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/window"
)

const (
	benchRecords    = 1_000_000
	benchKeys       = 10_000
	benchPartitions = 4
	benchTopic      = "votes"
)

type benchVote struct {
	K string `json:"k"`
	T int64  `json:"t"` // Unix milliseconds
}

var (
	benchOnce    sync.Once
	benchCluster *kafkatest.Cluster
)

// benchData produces benchRecords JSON votes once per process (1 ms of event
// time apart, over benchKeys keys, keyed, so ~17 one-minute windows).
func benchData(b *testing.B) *kafkatest.Cluster {
	benchOnce.Do(func() {
		// The cluster lives for the whole process: a benchmark function runs
		// several times (b.N rounds) and each round's cleanups run after it.
		c := kafkatest.New(&noCleanup{B: b}, benchPartitions, benchTopic)
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		recs := make([]*kgo.Record, benchRecords)
		for i := range recs {
			k := "k" + strconv.Itoa((i*7919)%benchKeys)
			ts := t0.Add(time.Duration(i) * time.Millisecond)
			v, _ := json.Marshal(benchVote{K: k, T: ts.UnixMilli()})
			recs[i] = &kgo.Record{Topic: benchTopic, Key: []byte(k), Value: v, Timestamp: ts}
		}
		c.Produce(&noCleanup{B: b}, recs)
		benchCluster = c
	})
	return benchCluster
}

// noCleanup drops cleanups: the benchmark cluster stays up for the process.
type noCleanup struct{ *testing.B }

func (noCleanup) Cleanup(func()) {}

// benchEnds spreads n records over the partitions: the end offset to read
// each partition to.
func benchEnds(b *testing.B, c *kafkatest.Cluster, n int) map[int32]int64 {
	ends := c.EndOffsets(b, benchTopic)
	out := make(map[int32]int64, len(ends))
	per := int64((n + benchPartitions - 1) / benchPartitions)
	for p, e := range ends {
		out[p] = min(per, e)
	}
	return out
}

type countingSink struct{ n int64 }

func (s *countingSink) Write(_ context.Context, b []stream.Event[window.Result[string, int64]]) error {
	for i := range b {
		s.n += b[i].Value.Value
	}
	return nil
}
func (s *countingSink) Flush(context.Context) error { return nil }

func decodeBenchVote(r *kgo.Record) (benchVote, error) {
	var v benchVote
	err := json.Unmarshal(r.Value, &v)
	return v, err
}

// BenchmarkKafkaWindowedCount: kfake topic (4 partitions, JSON, 10,000 keys)
// → source.Kafka → KeyBy → one-minute tumbling window.Aggregate(agg.Count)
// → a counting sink. b.N counts records.
func BenchmarkKafkaWindowedCount(b *testing.B) {
	c := benchData(b)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(b.N-done, benchRecords)
		ends := benchEnds(b, c, n)
		src := source.Kafka(decodeBenchVote,
			source.KafkaClient(kgo.SeedBrokers(c.Addrs...), kgo.ConsumeTopics(benchTopic)),
			source.KafkaStopAt(map[string]map[int32]int64{benchTopic: ends}))
		p := stream.New()
		votes := stream.From(p, src)
		ks := stream.KeyBy(votes, func(v benchVote) string { return v.K })
		s := &countingSink{}
		stream.To(window.Aggregate(ks, window.Tumbling(time.Minute), agg.Count[benchVote]()), s)
		if err := p.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		var want int64
		for _, e := range ends {
			want += e
		}
		if s.n != want {
			b.Fatalf("counted %d records, want %d", s.n, want)
		}
		done += int(want)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkKafkaWindowedCountBaseline is the same work as a hand-written
// franz-go loop: PollFetches, JSON decode, a map of per-key per-minute
// counts flushed when the input ends.
func BenchmarkKafkaWindowedCountBaseline(b *testing.B) {
	c := benchData(b)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(b.N-done, benchRecords)
		ends := benchEnds(b, c, n)
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs...), kgo.ConsumeTopics(benchTopic),
			kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			b.Fatal(err)
		}
		type wk struct {
			k string
			w int64
		}
		counts := map[wk]int64{}
		next := map[int32]int64{}
		remaining := len(ends)
		for p, e := range ends {
			if e == 0 {
				remaining--
				next[p] = 0
			}
		}
		for remaining > 0 {
			f := cl.PollFetches(context.Background())
			if errs := f.Errors(); len(errs) > 0 {
				b.Fatal(errs[0].Err)
			}
			f.EachPartition(func(p kgo.FetchTopicPartition) {
				end := ends[p.Partition]
				for _, r := range p.Records {
					if r.Offset >= end {
						break
					}
					var v benchVote
					if err := json.Unmarshal(r.Value, &v); err != nil {
						b.Fatal(err)
					}
					ts := r.Timestamp.UnixNano()
					counts[wk{v.K, ts - ts%int64(time.Minute)}]++
					if r.Offset+1 == end {
						remaining--
					}
				}
			})
		}
		cl.Close()
		var total int64
		for _, v := range counts {
			total += v
		}
		var want int64
		for _, e := range ends {
			want += e
		}
		if total != want {
			b.Fatalf("counted %d records, want %d", total, want)
		}
		done += int(want)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
