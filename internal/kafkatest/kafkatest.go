// Package kafkatest runs in-process Kafka clusters (kfake) for weir's tests
// and benchmarks: a real Kafka protocol and the real franz-go client, no
// mocks and no external service.
package kafkatest

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Cluster is a kfake cluster with helpers. Close it when done (New registers
// Close with tb.Cleanup).
type Cluster struct {
	*kfake.Cluster
	Addrs []string
}

// New starts a one-broker cluster with the given topics, each with
// partitions partitions. It is closed when the test ends.
func New(tb testing.TB, partitions int32, topics ...string) *Cluster {
	tb.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.DefaultNumPartitions(int(partitions))}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(partitions, topics...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		tb.Fatalf("kfake: %v", err)
	}
	// Last: collect the cluster's memory, so that tests measuring the heap
	// after this one do not see it.
	tb.Cleanup(runtime.GC)
	tb.Cleanup(c.Close)
	return &Cluster{Cluster: c, Addrs: c.ListenAddrs()}
}

// Client returns a client of the cluster configured by opts, closed when the
// test ends.
func (c *Cluster) Client(tb testing.TB, opts ...kgo.Opt) *kgo.Client {
	tb.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Addrs...)}, opts...)...)
	if err != nil {
		tb.Fatalf("kgo: %v", err)
	}
	tb.Cleanup(cl.Close)
	return cl
}

// Produce writes the records synchronously (their Topic must be set) in
// chunks, so that large inputs do not exceed the producer's buffer. opts
// configure the producing client (kgo.RecordPartitioner(kgo.ManualPartitioner())
// to honour each record's Partition).
func (c *Cluster) Produce(tb testing.TB, recs []*kgo.Record, opts ...kgo.Opt) {
	tb.Helper()
	cl := c.Client(tb, append([]kgo.Opt{kgo.ProducerLinger(time.Millisecond), kgo.MaxBufferedRecords(1 << 20)}, opts...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var first error
	for i := 0; i < len(recs); i += 100_000 {
		chunk := recs[i:min(i+100_000, len(recs))]
		for _, r := range chunk {
			cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
				if err != nil && first == nil {
					first = err
				}
			})
		}
		if err := cl.Flush(ctx); err != nil {
			tb.Fatalf("produce: %v", err)
		}
	}
	if first != nil {
		tb.Fatalf("produce: %v", first)
	}
	cl.Close()
}

// ReadAll reads every record of topic up to its current end with a
// read_committed consumer.
func (c *Cluster) ReadAll(tb testing.TB, topic string) []*kgo.Record {
	tb.Helper()
	ends := c.EndOffsets(tb, topic)
	var want int64
	for _, e := range ends {
		want += e
	}
	cl := c.Client(tb, kgo.ConsumeTopics(topic), kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []*kgo.Record
	next := map[int32]int64{}
	done := func() bool {
		for p, e := range ends {
			if next[p] < e {
				return false
			}
		}
		return true
	}
	for !done() {
		f := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			tb.Fatalf("read %s: timed out with %d records (ends %v, at %v)", topic, len(out), ends, next)
		}
		f.EachRecord(func(r *kgo.Record) {
			out = append(out, r)
			next[r.Partition] = r.Offset + 1
		})
	}
	return out
}

// EndOffsets returns the end offset of each partition of topic.
func (c *Cluster) EndOffsets(tb testing.TB, topic string) map[int32]int64 {
	tb.Helper()
	ti := c.TopicInfo(topic)
	if ti == nil {
		tb.Fatalf("no topic %q", topic)
	}
	out := map[int32]int64{}
	for _, pi := range c.PartitionInfos(topic) {
		out[pi.Partition] = pi.HighWatermark
	}
	return out
}

// Committed returns the offsets group has committed, by topic and
// partition (partitions with no committed offset are absent).
func (c *Cluster) Committed(tb testing.TB, group string) map[string]map[int32]int64 {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs...))
	if err != nil {
		tb.Fatalf("kgo: %v", err)
	}
	defer cl.Close()
	offs, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	if err != nil {
		tb.Fatalf("fetch offsets of %s: %v", group, err)
	}
	out := map[string]map[int32]int64{}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			if out[o.Topic] == nil {
				out[o.Topic] = map[int32]int64{}
			}
			out[o.Topic][o.Partition] = o.At
		}
	})
	return out
}

// String describes the cluster.
func (c *Cluster) String() string { return fmt.Sprintf("kfake%v", c.Addrs) }
