package sink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir/stream"
)

// KafkaSink is a stream.Sink producing one Kafka record per element through
// franz-go. Create it with Kafka or KafkaDeadLetters. Its client is created at
// the first Write (building a pipeline does no I/O) and closed by Close.
type KafkaSink[T any] struct {
	topic  string
	record func(T) *kgo.Record
	opts   []kgo.Opt

	initOnce sync.Once
	cl       *kgo.Client
	initErr  error
	promise  func(*kgo.Record, error)

	inflight sync.WaitGroup // records whose promise has not run yet

	mu  sync.Mutex
	err error // first produce error
}

// Kafka returns a sink that produces record(v) for every element v,
// asynchronously. The record's Topic defaults to topic, its Timestamp to the
// element's event time (when the element has one); key, value and headers are
// the function's. record must return a new *kgo.Record for every call: the
// sink hands it to the client, which owns it until it is acknowledged.
// A nil record skips the element.
//
// opts pass straight to the franz-go client (seed brokers, TLS, SASL,
// batching, compression ...). franz-go's defaults apply: an idempotent
// producer with acks=all and a 10 ms linger. Produce blocks while the
// client's buffer (kgo.MaxBufferedRecords, default 50,000) is full: the
// backpressure reaches the pipeline.
//
// Delivery: Flush (at every pipeline checkpoint and at the end) waits until
// every record produced so far is acknowledged. The first produce error fails
// the pipeline at the next Write or Flush with an error naming the topic.
// Records are not written in a transaction: a consumer sees them as soon as
// they are acknowledged, and a restarted pipeline may write some again (at
// least once).
func Kafka[T any](topic string, record func(T) *kgo.Record, opts ...kgo.Opt) *KafkaSink[T] {
	s := &KafkaSink[T]{topic: topic, record: record, opts: opts}
	s.promise = s.onProduced
	return s
}

func (s *KafkaSink[T]) init() error {
	s.initOnce.Do(func() {
		if s.record == nil {
			s.initErr = fmt.Errorf("%w: sink.Kafka: nil record function", stream.ErrInvalidPipeline)
			return
		}
		opts := append([]kgo.Opt{kgo.DefaultProduceTopic(s.topic)}, s.opts...)
		s.cl, s.initErr = kgo.NewClient(opts...)
		if s.initErr != nil {
			s.initErr = fmt.Errorf("sink.Kafka: %w", s.initErr)
		}
	})
	return s.initErr
}

func (s *KafkaSink[T]) onProduced(r *kgo.Record, err error) {
	defer s.inflight.Done()
	if err == nil {
		return
	}
	s.mu.Lock()
	if s.err == nil {
		s.err = fmt.Errorf("sink.Kafka: produce to topic %q partition %d: %w", r.Topic, r.Partition, err)
	}
	s.mu.Unlock()
}

func (s *KafkaSink[T]) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Write produces one record per element without waiting for
// acknowledgements. It returns the first produce error seen so far, if any.
func (s *KafkaSink[T]) Write(ctx context.Context, batch []stream.Event[T]) error {
	if err := s.init(); err != nil {
		return err
	}
	if err := s.failed(); err != nil {
		return err
	}
	for i := range batch {
		r := s.record(batch[i].Value)
		if r == nil {
			continue
		}
		if r.Timestamp.IsZero() {
			if t := batch[i].Time; t != stream.MinTime && t != stream.MaxTime {
				r.Timestamp = time.Unix(0, t)
			}
		}
		s.inflight.Add(1)
		s.cl.Produce(ctx, r, s.promise)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return s.failed()
}

// Flush waits until every record produced so far is acknowledged (or failed)
// and returns the first produce error, if any.
func (s *KafkaSink[T]) Flush(ctx context.Context) error {
	if err := s.init(); err != nil {
		return err
	}
	if err := s.cl.Flush(ctx); err != nil {
		return fmt.Errorf("sink.Kafka: flush: %w", err)
	}
	// Records failed before they were buffered (too large, say) are not
	// waited for by the client's Flush: wait for every promise.
	s.inflight.Wait()
	return s.failed()
}

// Close closes the client. Records not yet acknowledged are failed (Flush
// first to wait for them). Calling Close twice does nothing more.
func (s *KafkaSink[T]) Close() error {
	s.initOnce.Do(func() { s.initErr = errors.New("sink.Kafka: closed") })
	if s.cl != nil {
		s.cl.Close()
	}
	return nil
}

// Headers added by KafkaDeadLetters to the original record's headers.
const (
	// HeaderError is the error that sent the record to the dead letters.
	HeaderError = "weir.error"
	// HeaderStage names the stage where the record failed.
	HeaderStage = "weir.stage"
	// HeaderOriginTopic, HeaderOriginPartition and HeaderOriginOffset locate
	// the original record (decimal partition and offset); absent when the
	// dead letter did not come from a Kafka source.
	HeaderOriginTopic     = "weir.origin.topic"
	HeaderOriginPartition = "weir.origin.partition"
	HeaderOriginOffset    = "weir.origin.offset"
)

// The dead-letter Meta keys of source.Kafka (see source.MetaKafkaTopic ...),
// repeated here so that sink does not depend on source.
const (
	metaTopic        = "kafka.topic"
	metaPartition    = "kafka.partition"
	metaOffset       = "kafka.offset"
	metaTimestamp    = "kafka.timestamp"
	metaKey          = "kafka.key"
	metaHeaderPrefix = "kafka.header."
)

// KafkaDeadLetters returns a sink writing the pipeline's dead letters
// (stream.Pipeline.DeadLetters) to topic. For a record a Kafka source could
// not decode it writes the original key, value, timestamp and headers, plus
// the headers HeaderError, HeaderStage and HeaderOrigin*. A dead letter
// without raw bytes (an element that failed in a later stage) is written with
// its value formatted by fmt's %v. Delivery and opts are those of Kafka.
func KafkaDeadLetters(topic string, opts ...kgo.Opt) *KafkaSink[stream.DeadLetter] {
	return Kafka(topic, deadLetterRecord, opts...)
}

func deadLetterRecord(d stream.DeadLetter) *kgo.Record {
	r := &kgo.Record{Value: d.Raw}
	if r.Value == nil && d.Value != nil {
		r.Value = fmt.Appendf(nil, "%v", d.Value)
	}
	var hk []string
	for k, v := range d.Meta {
		switch {
		case k == metaKey:
			r.Key = []byte(v)
		case k == metaTimestamp:
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
				r.Timestamp = time.UnixMilli(ms)
			}
		case strings.HasPrefix(k, metaHeaderPrefix):
			hk = append(hk, k)
		}
	}
	slices.Sort(hk)
	for _, k := range hk {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: k[len(metaHeaderPrefix):], Value: []byte(d.Meta[k])})
	}
	errText := "<nil>"
	if d.Err != nil {
		errText = d.Err.Error()
	}
	r.Headers = append(r.Headers,
		kgo.RecordHeader{Key: HeaderError, Value: []byte(errText)},
		kgo.RecordHeader{Key: HeaderStage, Value: []byte(d.Stage)},
	)
	for _, h := range [...][2]string{{HeaderOriginTopic, metaTopic}, {HeaderOriginPartition, metaPartition}, {HeaderOriginOffset, metaOffset}} {
		if v, ok := d.Meta[h[1]]; ok {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: h[0], Value: []byte(v)})
		}
	}
	return r
}
