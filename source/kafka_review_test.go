package source_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
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

// kpos is a record's position.
type kpos struct {
	P   int32
	Off int64
}

func decodeKpos(r *kgo.Record) (kpos, error) { return kpos{r.Partition, r.Offset}, nil }

// TestKafkaReviewRebalanceStalePoll: a poll the poller goroutine fetched
// before a rebalance must not be emitted under the assignment that follows.
//
// Eager: a rebalance revokes and re-assigns the partitions this instance
// keeps; a stale poll emitted under the new tracking took its first record
// for "everything before it is committed", and the next checkpoint committed
// it although the records before it were still held in a window that had not
// fired. The window here is one day long and never fires before the final
// watermark, so the only offset that may ever be committed is 0.
//
// Cooperative: partitions this instance keeps are not re-fetched, so
// dropping their records would lose them: every partition's offsets seen
// must have no gap.
func TestKafkaReviewRebalanceStalePoll(t *testing.T) {
	for _, bal := range []struct {
		name string
		b    kgo.GroupBalancer
	}{{"eager", kgo.RangeBalancer()}, {"cooperative", kgo.CooperativeStickyBalancer()}} {
		t.Run(bal.name, func(t *testing.T) {
			t.Parallel()
			testRebalanceStalePoll(t, bal.b)
		})
	}
}

func testRebalanceStalePoll(t *testing.T, bal kgo.GroupBalancer) {
	c := kafkatest.New(t, 2, "in")
	// Records keep arriving while the pipeline runs, so that polls are
	// small and the poller goroutine holds the next one while Run emits.
	pcl := c.Client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	prodCtx, stopProd := context.WithCancel(context.Background())
	var prodWG sync.WaitGroup
	prodWG.Add(1)
	go func() {
		defer prodWG.Done()
		i := 0
		for prodCtx.Err() == nil {
			for range 100 {
				v, _ := json.Marshal(vote{K: "k"})
				pcl.Produce(prodCtx, &kgo.Record{Topic: "in", Partition: int32(i % 2), Value: v, Timestamp: t0.Add(time.Duration(i) * time.Millisecond)}, nil)
				i++
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	defer func() { stopProd(); prodWG.Wait() }()

	group := "g-stale"
	groupOpts := []kgo.Opt{kgo.SeedBrokers(c.Addrs...), kgo.ConsumeTopics("in"), kgo.ConsumerGroup(group),
		kgo.Balancers(bal),
		kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(100 * time.Millisecond), kgo.RebalanceTimeout(5 * time.Second)}
	src := source.Kafka(decodeKpos, source.KafkaClient(groupOpts...))
	t.Cleanup(func() { src.Close() })

	p := stream.New(stream.WithCheckpointInterval(5 * time.Millisecond))
	recs := stream.From(p, src, stream.Name("kafka"))
	var mu sync.Mutex
	seen := map[int32]map[int64]bool{}
	n := 0
	recs = stream.Tap(recs, func(x kpos) {
		mu.Lock()
		if seen[x.P] == nil {
			seen[x.P] = map[int64]bool{}
		}
		seen[x.P][x.Off] = true
		mu.Unlock()
		if n++; n%5 == 0 {
			time.Sleep(time.Millisecond) // slow: the poller holds a fetch
		}
	})
	ks := stream.KeyBy(recs, func(kpos) string { return "k" })
	res := window.Aggregate(ks, window.Tumbling(24*time.Hour), agg.Count[kpos]())
	stream.To(res, sink.Discard[window.Result[string, int64]]())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	maxCommitted := func() (int64, map[int32]int64) {
		m := c.Committed(t, group)["in"]
		hi := int64(-1)
		for _, at := range m {
			hi = max(hi, at)
		}
		return hi, m
	}

	// Rebalance a few times: a second member joins, consumes a little
	// without committing, and leaves.
	time.Sleep(300 * time.Millisecond)
	worst := int64(-1)
	for i := range 3 {
		b := c.Client(t, append(groupOpts, kgo.DisableAutoCommit())...)
		pctx, pcancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		for pctx.Err() == nil {
			b.PollFetches(pctx)
		}
		pcancel()
		b.Close()
		time.Sleep(300 * time.Millisecond)
		hi, m := maxCommitted()
		t.Logf("after rebalance %d: committed %v (window not fired: only 0 is safe)", i, m)
		worst = max(worst, hi)
	}
	cancel()
	err := <-done
	hi, m := maxCommitted()
	t.Logf("Run: %v; committed at the end %v; commit errors %d", err, m, src.CommitErrors())
	worst = max(worst, hi)
	if worst > 0 {
		t.Errorf("committed offset %d while every record since offset 0 is still held in an unfired window: a restart loses them", worst)
	}
	mu.Lock()
	defer mu.Unlock()
	for part, offs := range seen {
		list := make([]int64, 0, len(offs))
		for o := range offs {
			list = append(list, o)
		}
		slices.Sort(list)
		for i, o := range list {
			if o != int64(i) {
				t.Errorf("partition %d: offset %d seen but not offset %d (of %d seen): records lost", part, o, i, len(list))
				break
			}
		}
	}
}

// produceTxn writes n records to partition p of topic in one committed
// transaction (as an exactly-once upstream job would).
func produceTxn(t *testing.T, c *kafkatest.Cluster, topic string, p int32, n int) {
	t.Helper()
	cl := c.Client(t, kgo.TransactionalID("tx-"+topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ctx := context.Background()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r := &kgo.Record{Topic: topic, Partition: p, Value: []byte{byte(i)}, Timestamp: t0.Add(time.Duration(i) * time.Second)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
}

// TestKafkaReviewStopAtEndTransactional: KafkaStopAtEnd stops on a topic
// written transactionally, whose end offset counts the commit marker the
// consumer is never given as a record, and emits only the data records.
func TestKafkaReviewStopAtEndTransactional(t *testing.T) {
	for _, group := range []string{"", "g-txn"} {
		for _, iso := range []string{"uncommitted", "committed"} {
			t.Run("group="+group+"/read_"+iso, func(t *testing.T) {
				t.Parallel()
				c := kafkatest.New(t, 1, "in")
				produceTxn(t, c, "in", 0, 10)
				t.Logf("end offsets %v (10 data records)", c.EndOffsets(t, "in"))
				opts := []kgo.Opt{kgo.SeedBrokers(c.Addrs...), kgo.ConsumeTopics("in")}
				if group != "" {
					opts = append(opts, kgo.ConsumerGroup(group))
				}
				if iso == "committed" {
					opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
				}
				src := source.Kafka(decodeKpos, source.KafkaClient(opts...), source.KafkaStopAtEnd())
				t.Cleanup(func() { src.Close() })
				p := stream.New()
				out := sink.Collect[kpos]()
				stream.To(stream.From(p, src), out)
				if err := runFor(t, p, 5*time.Second); err != nil {
					t.Fatalf("Run: %v after reading %d of 10 records: StopAtEnd never stopped", err, out.Len())
				}
				got := out.Values()
				if len(got) != 10 {
					t.Fatalf("read %v, want offsets 0 to 9", got)
				}
				for i, x := range got {
					if x.Off != int64(i) {
						t.Fatalf("read %v, want offsets 0 to 9", got)
					}
				}
			})
		}
	}
}

// TestKafkaReviewStopAtGroupBound: in a group, a KafkaStopAt bound holds
// for a partition whose start is already at its bound.
func TestKafkaReviewStopAtGroupBound(t *testing.T) {
	c := kafkatest.New(t, 2, "in")
	var recs []*kgo.Record
	for i := range 200 {
		recs = append(recs, &kgo.Record{Topic: "in", Partition: int32(i % 2), Value: []byte("x"), Timestamp: t0.Add(time.Duration(i) * time.Millisecond)})
	}
	c.Produce(t, recs, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	src := source.Kafka(decodeKpos, source.KafkaClient(kgo.SeedBrokers(c.Addrs...), kgo.ConsumeTopics("in"), kgo.ConsumerGroup("g-stopat")),
		source.KafkaStopAt(map[string]map[int32]int64{"in": {0: 0}}))
	t.Cleanup(func() { src.Close() })
	p := stream.New()
	out := sink.Collect[kpos]()
	stream.To(stream.From(p, src), out)
	if err := runFor(t, p, 20*time.Second); err != nil {
		t.Fatalf("Run: %v", err)
	}
	n0, n1 := 0, 0
	for _, v := range out.Values() {
		if v.P == 0 {
			n0++
		} else {
			n1++
		}
	}
	if n0 != 0 || n1 != 100 {
		t.Errorf("read %d records of partition 0 (bound 0) and %d of partition 1; want 0 and 100", n0, n1)
	}
}
