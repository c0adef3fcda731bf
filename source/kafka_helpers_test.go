package source_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/internal/kafkatest"
	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/window"
)

// vote is the test input: a key and an event time in Unix milliseconds.
type vote struct {
	K string `json:"k"`
	T int64  `json:"t"`
}

var errNoKey = errors.New("vote without key")

func decodeVote(r *kgo.Record) (vote, error) {
	var v vote
	if err := json.Unmarshal(r.Value, &v); err != nil {
		return v, err
	}
	if v.K == "" {
		return v, errNoKey
	}
	return v, nil
}

// winCount is one (key, one-minute window) count.
type winCount struct {
	K string
	W int64 // window start, Unix nanoseconds
	N int
}

type wk struct {
	K string
	W int64
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// genVotes makes n votes over keys keys, spread over span of event time in
// order, keyed by the vote key (so one key lives in one partition). Every
// badEvery-th record (0: none) is malformed.
func genVotes(n, keys int, span time.Duration, badEvery int, seed uint64) ([]*kgo.Record, map[wk]int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	recs := make([]*kgo.Record, 0, n)
	oracle := map[wk]int{}
	step := int64(span) / int64(max(n, 1))
	for i := range n {
		ts := t0.Add(time.Duration(int64(i) * step))
		k := "k" + strconv.Itoa(rng.IntN(keys))
		if badEvery > 0 && i%badEvery == badEvery-1 {
			recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(k), Value: []byte(`{"k":`), Timestamp: ts,
				Headers: []kgo.RecordHeader{{Key: "origin", Value: []byte("gen")}}})
			continue
		}
		v, _ := json.Marshal(vote{K: k, T: ts.UnixMilli()})
		recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(k), Value: v, Timestamp: ts})
		oracle[wk{k, ts.Truncate(time.Minute).UnixNano()}]++
	}
	return recs, oracle
}

// countPerMinute is a keyed one-minute tumbling count (window.Aggregate
// with agg.Count).
func countPerMinute(s stream.Stream[vote]) stream.Stream[winCount] {
	ks := stream.KeyBy(s, func(v vote) string { return v.K })
	res := window.Aggregate(ks, window.Tumbling(time.Minute), agg.Count[vote](), window.StageOptions(stream.Name("count")))
	return stream.Map(res, func(r window.Result[string, int64]) winCount {
		return winCount{K: r.Key, W: r.Start, N: int(r.Value)}
	})
}

func countRecord(c winCount) *kgo.Record {
	return &kgo.Record{Key: []byte(c.K), Value: fmt.Appendf(nil, "%d %d", c.W, c.N)}
}

// readCounts reads the counts in topic: the sum per (key, window) of every
// result written (a restarted pipeline may write a window again; the final
// count is the largest).
func readCounts(t testing.TB, c *kafkatest.Cluster, topic string) (last map[wk]int, records int) {
	t.Helper()
	last = map[wk]int{}
	for _, r := range c.ReadAll(t, topic) {
		var w int64
		var n int
		if _, err := fmt.Sscanf(string(r.Value), "%d %d", &w, &n); err != nil {
			t.Fatalf("bad result %q: %v", r.Value, err)
		}
		k := wk{string(r.Key), w}
		last[k] = max(last[k], n)
		records++
	}
	return last, records
}

// kafkaSource builds the test source over topic "in".
func kafkaSource(t testing.TB, c *kafkatest.Cluster, group string, extra ...source.KafkaOption) *source.KafkaSource[vote] {
	opts := []kgo.Opt{kgo.SeedBrokers(c.Addrs...), kgo.ConsumeTopics("in")}
	if group != "" {
		opts = append(opts, kgo.ConsumerGroup(group), kgo.SessionTimeout(6*time.Second),
			kgo.HeartbeatInterval(200*time.Millisecond), kgo.RebalanceTimeout(5*time.Second))
	}
	src := source.Kafka(decodeVote, append([]source.KafkaOption{source.KafkaClient(opts...)}, extra...)...)
	t.Cleanup(func() { src.Close() })
	return src
}

// countPipeline is topic "in" → decode → per-minute count → topic out.
func countPipeline(c *kafkatest.Cluster, src *source.KafkaSource[vote], out string, opts ...stream.Option) *stream.Pipeline {
	p, _ := throttledCountPipeline(c, src, out, 0, opts...)
	return p
}

// throttledCountPipeline is countPipeline sleeping 1ms every `every`
// elements (0: never) after the source. The counter counts the elements
// read (safe to read while the pipeline runs).
func throttledCountPipeline(c *kafkatest.Cluster, src *source.KafkaSource[vote], out string, every int, opts ...stream.Option) (*stream.Pipeline, *atomic.Int64) {
	p := stream.New(opts...)
	votes := stream.From(p, src, stream.Name("kafka"))
	var read atomic.Int64
	votes = stream.Tap(votes, func(vote) {
		if n := read.Add(1); every > 0 && n%int64(every) == 0 {
			time.Sleep(time.Millisecond)
		}
	})
	stream.To(countPerMinute(votes), sink.Kafka(out, countRecord, kgo.SeedBrokers(c.Addrs...)), stream.Name("out"))
	return p, &read
}

func diffCounts(t testing.TB, got, want map[wk]int, exact bool) {
	t.Helper()
	bad := 0
	for k, n := range want {
		if g := got[k]; g < n || (exact && g != n) {
			if bad < 5 {
				t.Errorf("count %v = %d, want %d", k, g, n)
			}
			bad++
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			if bad < 5 {
				t.Errorf("unexpected count %v = %d", k, g)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d counts wrong", bad, len(want))
	}
}
