package source_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/window"
)

// ExampleKafka counts clicks per page and minute from the topic "clicks"
// (record key: page; timestamp: event time) into the topic "counts", in a
// consumer group: run several copies of the program and they share the
// partitions. Here an in-process kfake cluster stands in for the brokers and
// the source stops at the end of the topic; a service would pass its own
// brokers and run until its context is cancelled.
func ExampleKafka() {
	cluster, _ := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "clicks", "counts"))
	defer cluster.Close()
	brokers := kgo.SeedBrokers(cluster.ListenAddrs()...)
	produceClicks(brokers)

	p := stream.New(stream.WithCheckpointInterval(time.Second))
	clicks := stream.From(p, source.Kafka(
		func(r *kgo.Record) (string, error) { return string(r.Key), nil },
		source.KafkaClient(brokers, kgo.ConsumeTopics("clicks"), kgo.ConsumerGroup("page-counts")),
		source.KafkaStopAtEnd(),
	), stream.Name("clicks"))
	counts := window.Aggregate(stream.KeyBy(clicks, func(page string) string { return page }),
		window.Tumbling(time.Minute), agg.Count[string]())
	sink.To(counts, sink.Kafka("counts", func(r window.Result[string, int64]) *kgo.Record {
		return &kgo.Record{Key: []byte(r.Key), Value: []byte(r.EndTime().UTC().Format("15:04") + " " + strconv.FormatInt(r.Value, 10))}
	}, brokers))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	printCounts(brokers)
	// Output:
	// /home: 12:01 2
	// /home: 12:02 1
	// /pricing: 12:01 1
}

func produceClicks(brokers kgo.Opt) {
	cl, _ := kgo.NewClient(brokers)
	defer cl.Close()
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i, page := range []string{"/home", "/pricing", "/home", "/home"} {
		ts := t0.Add(time.Duration(i) * 25 * time.Second)
		cl.ProduceSync(context.Background(), &kgo.Record{Topic: "clicks", Key: []byte(page), Timestamp: ts})
	}
}

func printCounts(brokers kgo.Opt) {
	cl, _ := kgo.NewClient(brokers, kgo.ConsumeTopics("counts"))
	defer cl.Close()
	var lines []string
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(lines) < 3 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			lines = append(lines, string(r.Key)+": "+string(r.Value))
		})
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
}
