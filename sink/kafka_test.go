package sink_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir/internal/kafkatest"
	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

// TestKafkaSink writes elements with key, value, headers and the event time
// as timestamp, and reads them back read_committed.
func TestKafkaSink(t *testing.T) {
	c := kafkatest.New(t, 2, "out")
	s := sink.Kafka("out", func(v string) *kgo.Record {
		return &kgo.Record{Key: []byte(v), Value: []byte(strings.ToUpper(v)), Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("x")}}}
	}, kgo.SeedBrokers(c.Addrs...))
	defer s.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := []stream.Event[string]{{Value: "a", Time: t0.UnixNano()}, {Value: "b", Time: t0.Add(time.Second).UnixNano()}}
	ctx := context.Background()
	if err := s.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := c.ReadAll(t, "out")
	if len(got) != 2 {
		t.Fatalf("%d records, want 2", len(got))
	}
	for _, r := range got {
		want := t0
		if string(r.Key) == "b" {
			want = t0.Add(time.Second)
		}
		if string(r.Value) != strings.ToUpper(string(r.Key)) || !r.Timestamp.Equal(want) || len(r.Headers) != 1 {
			t.Errorf("record %q = %q at %v headers %v", r.Key, r.Value, r.Timestamp, r.Headers)
		}
	}
}

// TestKafkaSinkProduceError: a failing produce (a record too large for the
// client) fails the next Flush with an error naming the topic.
func TestKafkaSinkProduceError(t *testing.T) {
	c := kafkatest.New(t, 1, "out")
	s := sink.Kafka("out", func(v []byte) *kgo.Record { return &kgo.Record{Value: v} },
		kgo.SeedBrokers(c.Addrs...), kgo.ProducerBatchMaxBytes(1024), kgo.MaxBufferedBytes(1024))
	defer s.Close()
	ctx := context.Background()
	if err := s.Write(ctx, []stream.Event[[]byte]{{Value: make([]byte, 4096)}}); err != nil && !strings.Contains(err.Error(), `"out"`) {
		t.Fatalf("Write = %v", err)
	}
	err := s.Flush(ctx)
	if err == nil || !strings.Contains(err.Error(), `topic "out"`) {
		t.Fatalf("Flush = %v, want a produce error naming the topic", err)
	}
	if err2 := s.Write(ctx, nil); err2 == nil {
		t.Error("Write after a produce error succeeded")
	}
}

// TestKafkaDeadLetterMetaKeys: sink reads the metadata keys source writes.
func TestKafkaDeadLetterMetaKeys(t *testing.T) {
	c := kafkatest.New(t, 1, "dlq")
	s := sink.KafkaDeadLetters("dlq", kgo.SeedBrokers(c.Addrs...))
	defer s.Close()
	d := stream.DeadLetter{Stage: "src", Err: errors.New("boom"), Raw: []byte("raw"), Meta: map[string]string{
		source.MetaKafkaTopic: "in", source.MetaKafkaPartition: "3", source.MetaKafkaOffset: "42",
		source.MetaKafkaKey: "key", source.MetaKafkaTimestamp: "1767225600000", source.MetaKafkaHeaderPrefix + "a": "b",
	}}
	ctx := context.Background()
	if err := s.Write(ctx, []stream.Event[stream.DeadLetter]{{Value: d}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := c.ReadAll(t, "dlq")
	if len(got) != 1 {
		t.Fatalf("%d records", len(got))
	}
	r := got[0]
	h := map[string]string{}
	for _, x := range r.Headers {
		h[x.Key] = string(x.Value)
	}
	want := map[string]string{"a": "b", sink.HeaderError: "boom", sink.HeaderStage: "src",
		sink.HeaderOriginTopic: "in", sink.HeaderOriginPartition: "3", sink.HeaderOriginOffset: "42"}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("header %s = %q, want %q", k, h[k], v)
		}
	}
	if string(r.Key) != "key" || string(r.Value) != "raw" || r.Timestamp.UnixMilli() != 1767225600000 {
		t.Errorf("record key %q value %q ts %v", r.Key, r.Value, r.Timestamp)
	}
}
