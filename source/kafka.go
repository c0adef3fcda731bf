package source

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirhq/weir/stream"
)

// Metadata keys of the stream.DeadLetter.Meta a Kafka source attaches to a
// record it cannot decode. sink.KafkaDeadLetters turns them back into the
// original key and headers plus origin headers.
const (
	MetaKafkaTopic     = "kafka.topic"
	MetaKafkaPartition = "kafka.partition"
	MetaKafkaOffset    = "kafka.offset"
	// MetaKafkaTimestamp is the record timestamp in Unix milliseconds.
	MetaKafkaTimestamp = "kafka.timestamp"
	// MetaKafkaKey is the record key (raw bytes in a string); absent for a
	// nil key.
	MetaKafkaKey = "kafka.key"
	// MetaKafkaHeaderPrefix prefixes each record header's key. Of repeated
	// header keys only the last survives.
	MetaKafkaHeaderPrefix = "kafka.header."
)

// Defaults of the Kafka source's client, chosen to bound the memory of
// fetched but not yet emitted records (see Kafka). Each overrides kgo's
// default and is itself overridden by a KafkaClient option.
const (
	// DefaultKafkaFetchMaxBytes overrides kgo's 50 MiB FetchMaxBytes.
	DefaultKafkaFetchMaxBytes = 8 << 20
	// DefaultKafkaFetchMaxPartitionBytes overrides kgo's 1 MiB.
	DefaultKafkaFetchMaxPartitionBytes = 2 << 20
	// DefaultKafkaMaxConcurrentFetches overrides kgo's unbounded (one per
	// broker) concurrent fetches.
	DefaultKafkaMaxConcurrentFetches = 2
)

const (
	// interleave is how many records of one partition are emitted before
	// turning to the next partition of the same poll.
	interleave = 256
	// commitBucket is the event-time granularity of the per-partition commit
	// index: at most one index point per bucket of event time (plus one per
	// checkpoint), so a commit may stop up to one bucket of records early.
	commitBucket = int64(time.Second)
	// maxPoints bounds a partition's commit index; beyond it every other
	// point is dropped (answers only become more conservative).
	maxPoints = 4096
)

// KafkaOption configures a Kafka source.
type KafkaOption interface{ applyKafka(*kafkaConfig) }

type kafkaOptionFunc func(*kafkaConfig)

func (f kafkaOptionFunc) applyKafka(c *kafkaConfig) { f(c) }

type kafkaConfig struct {
	client    []kgo.Opt
	strategy  stream.WatermarkStrategy
	idle      time.Duration
	eventTime any
	stopAtEnd bool
	stopAt    map[string]map[int32]int64
	onCommit  func(error)
}

// KafkaClient passes options straight to the franz-go client: seed brokers,
// topics (kgo.ConsumeTopics) or explicit partitions (kgo.ConsumePartitions),
// the consumer group (kgo.ConsumerGroup), start offsets
// (kgo.ConsumeStartOffset; default: the start of the log), TLS, SASL,
// fetch sizes and anything else kgo offers. Several KafkaClient options
// accumulate. The source always sets kgo.KeepControlRecords (it skips
// control records, such as transaction markers, itself: they are never
// decoded nor emitted) and, with a consumer group, kgo.DisableAutoCommit,
// kgo.BlockRebalanceOnPoll and its own OnPartitionsAssigned,
// OnPartitionsRevoked and OnPartitionsLost callbacks, overriding any given
// here: it commits offsets itself (see Kafka).
func KafkaClient(opts ...kgo.Opt) KafkaOption {
	return kafkaOptionFunc(func(c *kafkaConfig) { c.client = append(c.client, opts...) })
}

// KafkaWatermarks sets the watermark strategy applied to each partition
// separately (default stream.Ascending(): records of one partition in time
// order). The source's watermark is the minimum over its active partitions.
func KafkaWatermarks(s stream.WatermarkStrategy) KafkaOption {
	return kafkaOptionFunc(func(c *kafkaConfig) { c.strategy = s })
}

// KafkaIdleTimeout excludes a partition from the watermark minimum once no
// record has arrived from it for d of processing time (default 0: never), so
// an empty or quiet partition does not stall the pipeline's event time. The
// partition holds the minimum again with its next record; records it then
// delivers behind the watermark are late. When every partition is idle the
// watermark advances to the furthest partition's.
func KafkaIdleTimeout(d time.Duration) KafkaOption {
	return kafkaOptionFunc(func(c *kafkaConfig) { c.idle = d })
}

// KafkaEventTime takes each element's event time from f instead of the
// record timestamp (the default). T must be the source's element type, or
// Run fails with stream.ErrInvalidPipeline.
func KafkaEventTime[T any](f func(T) time.Time) KafkaOption {
	return kafkaOptionFunc(func(c *kafkaConfig) { c.eventTime = f })
}

// KafkaStopAtEnd makes the source bounded: Run returns (and the final
// watermark fires every window) once every partition it consumes has been
// read up to the end offset it had when the source started reading it (in a
// group: when the partition was assigned). It supposes consumption starts at
// the committed offset or the log start. The end offset counts control
// records (a transaction's commit or abort marker) like any other offset.
// While a consumer group rebalances the source does not stop: partitions may
// be on their way to it. For tests, batch jobs and benchmarks.
func KafkaStopAtEnd() KafkaOption {
	return kafkaOptionFunc(func(c *kafkaConfig) { c.stopAtEnd = true })
}

// KafkaStopAt is KafkaStopAtEnd with explicit end offsets for some
// partitions (topic → partition → offset): such a partition is read up to
// but excluding that offset, or to its current end if that comes first.
// Partitions not in ends are read to their current end.
func KafkaStopAt(ends map[string]map[int32]int64) KafkaOption {
	return kafkaOptionFunc(func(c *kafkaConfig) { c.stopAtEnd, c.stopAt = true, ends })
}

// KafkaOnCommitError calls f, from the goroutine that commits, with the
// error of every failed offset commit (a checkpoint's, or a revocation's).
// A failed commit loses nothing: offsets are absolute and the next
// checkpoint or revocation commits them again; until then a restart reads
// the records after the last committed offsets again. Failures are counted
// by KafkaSource.CommitErrors with or without f; the failure of the final
// commit, when the source closes, also fails Run.
func KafkaOnCommitError(f func(err error)) KafkaOption {
	return kafkaOptionFunc(func(c *kafkaConfig) { c.onCommit = f })
}

// KafkaSource is a stream.Source reading Kafka records through franz-go and
// decoding each into a T. Create it with Kafka. A KafkaSource runs once: make
// a new one for each pipeline run.
type KafkaSource[T any] struct {
	decode func(*kgo.Record) (T, error)
	cfg    kafkaConfig

	mu  sync.Mutex
	run *kafkaRun[T]

	commitErrors atomic.Uint64
}

// CommitErrors returns how many offset commits have failed (see
// KafkaOnCommitError).
func (s *KafkaSource[T]) CommitErrors() uint64 { return s.commitErrors.Load() }

// Kafka returns a source that consumes the topics or partitions given by
// KafkaClient options and emits decode(record) for each record, at the
// record's timestamp (or KafkaEventTime's).
//
// Decode errors follow the source stage's error policy (stream.OnError on
// From). Under stream.DeadLetterOnError the dead letter carries the record
// value as Raw and its origin, key and headers in Meta (the MetaKafka* keys);
// sink.KafkaDeadLetters writes such letters to a dead-letter topic.
//
// Watermarks are generated per partition (KafkaWatermarks, KafkaIdleTimeout)
// and the source emits their minimum with stream.Emitter.Watermark, which
// replaces the source-level strategy (stream.Watermarks on From has no effect).
//
// Backpressure: records are polled by one goroutine and handed to Run one
// poll at a time; while the pipeline is slower than the topic, Run blocks in
// Emit, the poller blocks handing over, PollFetches is not called and
// franz-go stops fetching once its buffer is full. The buffer is bounded by
// the defaults DefaultKafkaFetchMaxBytes, DefaultKafkaFetchMaxPartitionBytes
// and DefaultKafkaMaxConcurrentFetches (in compressed bytes: well-compressed
// topics take more memory once decompressed). The records of one poll are
// emitted interleaved across partitions, so that a backlog does not hold the
// watermark back until the last partition's turn.
//
// Delivery (at least once): with a consumer group the source commits offsets
// only on completed pipeline checkpoints (stream.WithCheckpointInterval, and
// the final checkpoint of a graceful end). For each partition it commits the
// largest offset o at or before the checkpoint barrier such that every record
// before o has event time < the checkpoint's retainedFrom, the oldest event
// time still held in window or join state downstream: records whose
// contribution may still sit in state are read again after a restart. Offsets
// are never committed otherwise (no auto-commit). On revocation the safe
// offsets of the revoked partitions are committed synchronously and their
// tracking dropped; records of a revoked partition still being emitted are not
// committed by this instance (the next owner reads them again), and records
// polled before a rebalance that assigned their partition again are dropped
// (they are read again from the committed offset). A failed
// commit is made again by the next checkpoint or revocation and reported to
// KafkaOnCommitError; if the final one fails, Run fails. Without a group
// nothing is committed.
func Kafka[T any](decode func(*kgo.Record) (T, error), opts ...KafkaOption) *KafkaSource[T] {
	s := &KafkaSource[T]{decode: decode}
	for _, o := range opts {
		o.applyKafka(&s.cfg)
	}
	return s
}

// Close closes the source's client (leaving its consumer group, which
// commits the revoked partitions' safe offsets). The pipeline calls it when
// Run ends, after the final checkpoint committed what is safe, and fails Run
// with its error: that of the final commit, if it failed. Calling it again
// does nothing and returns nil.
func (s *KafkaSource[T]) Close() error {
	s.mu.Lock()
	r := s.run
	s.mu.Unlock()
	if r != nil {
		return r.close()
	}
	return nil
}

type topicPart struct {
	topic     string
	partition int32
}

// point says that every record of the partition before offset off has event
// time <= max (the running maximum).
type point struct {
	off int64
	max int64
}

// partState is the tracking of one partition for one assignment.
type partState struct {
	tp  topicPart
	gen stream.WatermarkGenerator
	// born is kafkaRun.assigns when the state was created: records polled
	// before (at a lower count) belong to an earlier assignment.
	born uint64

	// Run goroutine only.
	next       int64 // next offset to emit; -1 before the first record
	runMax     int64 // running max event time of emitted records
	lastActive int64
	end        int64 // StopAtEnd: end offset; -1 if none
	done       bool

	// Guarded by kafkaRun.mu.
	points    []point
	safe      int64 // the last safe offset found by a completed checkpoint
	committed int64
}

func (ps *partState) addPoint(p point) {
	if n := len(ps.points); n > 0 && ps.points[n-1].off >= p.off {
		// Same offset (a checkpoint without new records): keep the larger max.
		ps.points[n-1].max = max(ps.points[n-1].max, p.max)
		return
	}
	if len(ps.points) >= maxPoints {
		// Keep the first and every other one after it: coarser, still safe.
		k := 1
		for i := 2; i < len(ps.points); i += 2 {
			ps.points[k] = ps.points[i]
			k++
		}
		ps.points = ps.points[:k]
	}
	ps.points = append(ps.points, p)
}

// safeOffset returns the largest indexed offset <= barrier before which every
// record has event time < retainedFrom, or -1.
func (ps *partState) safeOffset(barrier, retainedFrom int64) int64 {
	best := int64(-1)
	for _, p := range ps.points {
		if p.off > barrier {
			break
		}
		if p.max < retainedFrom || p.max == stream.MinTime {
			best = p.off
		} else {
			break // the running max only grows
		}
	}
	return best
}

// trim drops index points before off, keeping the one at off.
func (ps *partState) trim(off int64) {
	i := 0
	for i < len(ps.points) && ps.points[i].off < off {
		i++
	}
	if i > 0 {
		ps.points = append(ps.points[:0], ps.points[i:]...)
	}
}

type kafkaRun[T any] struct {
	src     *KafkaSource[T]
	cl      *kgo.Client
	group   string
	extract func(T) time.Time
	chunks  []chunk

	mu        sync.Mutex
	parts     map[topicPart]*partState
	assigns   uint64                          // group assignments so far (onAssigned calls; 0: none yet)
	balancing bool                            // between a revocation and the assignment that follows
	pending   map[uint64]map[*partState]int64 // checkpoint id → barrier offsets
	closed    bool                            // commits now are the final ones
	finalErr  error                           // the first failed final commit

	commitMu sync.Mutex // serialises commits
}

// Run consumes until ctx is done or, with KafkaStopAtEnd, until the end
// offsets are reached. See Kafka.
func (s *KafkaSource[T]) Run(ctx context.Context, out *stream.Emitter[T]) error {
	if s.decode == nil {
		return fmt.Errorf("%w: source.Kafka: nil decode function", stream.ErrInvalidPipeline)
	}
	r := &kafkaRun[T]{src: s, parts: map[topicPart]*partState{}, pending: map[uint64]map[*partState]int64{}}
	if s.cfg.eventTime != nil {
		f, ok := s.cfg.eventTime.(func(T) time.Time)
		if !ok {
			return fmt.Errorf("%w: source.Kafka: KafkaEventTime extractor %T does not take the source's element type", stream.ErrInvalidPipeline, s.cfg.eventTime)
		}
		r.extract = f
	}
	s.mu.Lock()
	if s.run != nil {
		s.mu.Unlock()
		return errors.New("source.Kafka: a KafkaSource runs once; make a new one per run")
	}
	s.run = r
	s.mu.Unlock()
	// Take over the watermark from the first element on: the per-partition
	// minimum is the only one (MinTime itself emits nothing).
	out.Watermark(stream.MinTime)

	opts := []kgo.Opt{
		kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(DefaultKafkaFetchMaxBytes),
		kgo.FetchMaxPartitionBytes(DefaultKafkaFetchMaxPartitionBytes),
		kgo.MaxConcurrentFetches(DefaultKafkaMaxConcurrentFetches),
	}
	opts = append(opts, s.cfg.client...)
	opts = append(opts, kgo.KeepControlRecords()) // see emitAll
	// kgo rejects group options without a group, and its options cannot be
	// inspected before a client exists: ask a client that is never used.
	probe, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("source.Kafka: %w", err)
	}
	r.group, _ = probe.OptValue(kgo.ConsumerGroup).(string)
	probe.Close()
	if r.group != "" {
		opts = append(opts,
			kgo.DisableAutoCommit(),
			// A rebalance cannot run between PollFetches taking records
			// and the poller noting the assignment count (see the poller).
			kgo.BlockRebalanceOnPoll(),
			kgo.OnPartitionsAssigned(r.onAssigned),
			kgo.OnPartitionsRevoked(r.onRevoked),
			kgo.OnPartitionsLost(r.onLost),
		)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("source.Kafka: %w", err)
	}
	r.mu.Lock()
	r.cl = cl
	r.mu.Unlock()

	out.OnCheckpoint(stream.CheckpointFuncs{Prepare: r.prepare, Complete: r.complete})

	if s.cfg.stopAtEnd && r.group == "" {
		if err := r.directEnds(ctx); err != nil {
			return err
		}
	}

	// The poller notes, with each poll, how many group assignments had
	// happened when it was taken: the poll may wait, polled, while a
	// rebalance revokes and re-assigns partitions, and its records of a
	// partition assigned since belong to the earlier assignment (see
	// process). Under kgo.BlockRebalanceOnPoll no rebalance callback runs
	// between PollFetches taking the records and AllowRebalance, so the
	// count is the one at the take. AllowRebalance follows every
	// PollFetches, even a failed one (kgo counts those as polls too), or
	// leaving the group would wait forever.
	pollCtx, cancelPoll := context.WithCancel(ctx)
	fetches := make(chan polled)
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		for {
			f := cl.PollFetches(pollCtx)
			r.mu.Lock()
			assigns := r.assigns
			r.mu.Unlock()
			cl.AllowRebalance()
			if pollCtx.Err() != nil || f.IsClientClosed() {
				return
			}
			select {
			case fetches <- polled{f, assigns}:
			case <-pollCtx.Done():
				return
			}
		}
	}()
	defer func() {
		cancelPoll()
		<-pollDone
	}()

	for {
		if s.cfg.stopAtEnd && r.allDone() {
			out.Flush()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-out.Ticks():
			out.Tick(now)
			r.watermark(out, now.UnixNano())
		case f := <-fetches:
			if err := r.process(ctx, f, out); err != nil {
				return err
			}
		}
	}
}

// polled is a poll and the number of group assignments that had happened
// when it was taken.
type polled struct {
	f       kgo.Fetches
	assigns uint64
}

// newPart returns a new partition state (under r.mu in a group).
func (r *kafkaRun[T]) newPart(tp topicPart, now int64) *partState {
	strategy := r.src.cfg.strategy
	if strategy == nil {
		strategy = stream.Ascending()
	}
	return &partState{
		tp: tp, gen: strategy.NewGenerator(), born: r.assigns, next: -1, runMax: stream.MinTime,
		lastActive: now, end: -1, safe: -1, committed: -1,
	}
}

// lookup returns the partition's state for records polled after assigns
// group assignments, creating it outside a group. In a group it returns nil,
// and the records are dropped, for a partition not assigned (any more): its
// next owner reads them; and for a partition assigned after the records were
// polled (an eager rebalance revokes and re-assigns every partition): they
// were fetched for the assignment revoked, and kgo fetches the new
// assignment's records again from the committed offset. The records of a
// partition that stayed assigned through a cooperative rebalance are kept:
// its state is older, and kgo goes on after them without fetching them again.
func (r *kafkaRun[T]) lookup(tp topicPart, assigns uint64) *partState {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := r.parts[tp]
	if ps == nil && r.group == "" {
		ps = r.newPart(tp, time.Now().UnixNano())
		r.parts[tp] = ps
	}
	if ps != nil && ps.born > assigns {
		return nil
	}
	return ps
}

func (r *kafkaRun[T]) process(ctx context.Context, poll polled, out *stream.Emitter[T]) error {
	f := poll.f
	for _, fe := range f.Errors() {
		if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, kgo.ErrClientClosed) {
			continue
		}
		var ke *kerr.Error
		if errors.As(fe.Err, &ke) && !ke.Retriable {
			return fmt.Errorf("source.Kafka: fetch %s/%d: %w", fe.Topic, fe.Partition, fe.Err)
		}
		// Anything else is retried by the client.
	}
	now := time.Now().UnixNano()
	chunks := r.chunks[:0]
	f.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		if ps := r.lookup(topicPart{p.Topic, p.Partition}, poll.assigns); ps != nil {
			ps.lastActive = now
			chunks = append(chunks, chunk{ps, p.Records})
		}
	})
	// A poll may hold a large backlog of several partitions: emit them
	// interleaved, a slice of each in turn, so that every partition's
	// watermark moves and the minimum advances while the backlog drains.
	for len(chunks) > 0 {
		if ctx.Err() != nil {
			// Stop promptly; what was not emitted is not committed either.
			clear(chunks)
			r.chunks = chunks[:0]
			return ctx.Err()
		}
		k := 0
		for _, c := range chunks {
			m := min(len(c.recs), interleave)
			if err := r.emitAll(c.ps, c.recs[:m], out); err != nil {
				return err
			}
			if c.recs = c.recs[m:]; len(c.recs) > 0 {
				chunks[k] = c
				k++
			}
		}
		clear(chunks[k:])
		chunks = chunks[:k]
		r.watermark(out, now)
	}
	r.chunks = chunks
	return nil
}

type chunk struct {
	ps   *partState
	recs []*kgo.Record
}

func (r *kafkaRun[T]) emitAll(ps *partState, recs []*kgo.Record, out *stream.Emitter[T]) error {
	for _, rec := range recs {
		if rec.Offset < ps.next {
			continue // already seen
		}
		if ps.end >= 0 && rec.Offset >= ps.end {
			// Past the end of a bounded read: records come in offset
			// order, so none below the end remains (the offsets before
			// this one may be gaps of a compacted log).
			ps.done = true
			break
		}
		if ps.next < 0 {
			// First record of this assignment: everything before it is
			// committed (or was never ours).
			r.mu.Lock()
			ps.addPoint(point{off: rec.Offset, max: stream.MinTime})
			r.mu.Unlock()
		}
		ps.next = rec.Offset + 1
		if ps.end >= 0 && ps.next >= ps.end {
			ps.done = true
		}
		if rec.Attrs.IsControl() {
			// A transaction marker (kgo.KeepControlRecords): no data, but
			// an offset of the log, the last one of a transaction
			// (commit or abort). Counted so that a bounded read reaches its end.
			continue
		}
		v, err := r.src.decode(rec)
		if err != nil {
			err = fmt.Errorf("source.Kafka: decode %s/%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
			if err := out.Reject(rec.Value, recordMeta(rec), err); err != nil {
				return err
			}
			continue
		}
		var ts int64
		if r.extract != nil {
			ts = stream.TimeOf(r.extract(v))
		} else {
			ts = rec.Timestamp.UnixNano()
		}
		if ts > ps.runMax {
			if ps.runMax == stream.MinTime || ts/commitBucket != ps.runMax/commitBucket {
				r.mu.Lock()
				ps.addPoint(point{off: rec.Offset, max: ps.runMax})
				r.mu.Unlock()
			}
			ps.runMax = ts
		}
		ps.gen.OnEvent(ts)
		out.EmitNanos(v, ts)
	}
	return nil
}

func recordMeta(rec *kgo.Record) map[string]string {
	m := make(map[string]string, 5+len(rec.Headers))
	m[MetaKafkaTopic] = rec.Topic
	m[MetaKafkaPartition] = strconv.FormatInt(int64(rec.Partition), 10)
	m[MetaKafkaOffset] = strconv.FormatInt(rec.Offset, 10)
	m[MetaKafkaTimestamp] = strconv.FormatInt(rec.Timestamp.UnixMilli(), 10)
	if rec.Key != nil {
		m[MetaKafkaKey] = string(rec.Key)
	}
	for _, h := range rec.Headers {
		m[MetaKafkaHeaderPrefix+h.Key] = string(h.Value)
	}
	return m
}

// watermark emits the minimum of the partitions' watermarks, skipping idle
// and finished partitions.
func (r *kafkaRun[T]) watermark(out *stream.Emitter[T], now int64) {
	idle := int64(r.src.cfg.idle)
	lo, any := stream.MaxTime, false
	r.mu.Lock()
	if r.balancing {
		// Partitions may be on their way to this instance: do not let the
		// ones it keeps run the watermark past them.
		r.mu.Unlock()
		return
	}
	hi := stream.MinTime
	for _, ps := range r.parts {
		w := ps.gen.Watermark()
		hi = max(hi, w)
		if ps.done || (idle > 0 && now-ps.lastActive >= idle) {
			continue
		}
		any = true
		lo = min(lo, w)
	}
	r.mu.Unlock()
	if !any && idle > 0 {
		// Every partition is idle (or finished): none holds the others
		// back, so the furthest one's progress stands.
		lo, any = hi, true
	}
	if any && lo > out.CurrentWatermark() {
		out.Watermark(lo)
	}
}

// allDone reports whether every partition was read to its end
// (KafkaStopAtEnd). In a group it is false before the first assignment and
// while a rebalance is under way: revoked partitions may be assigned again.
func (r *kafkaRun[T]) allDone() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.group != "" && (r.assigns == 0 || r.balancing) {
		return false
	}
	for _, ps := range r.parts {
		if !ps.done {
			return false
		}
	}
	return true
}

// prepare records the barrier offsets of checkpoint id (Run goroutine).
func (r *kafkaRun[T]) prepare(id uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	snap := make(map[*partState]int64, len(r.parts))
	for _, ps := range r.parts {
		if ps.next < 0 {
			continue
		}
		ps.addPoint(point{off: ps.next, max: ps.runMax})
		snap[ps] = ps.next
	}
	r.pending[id] = snap
}

// complete commits the safe offsets of checkpoint id (another goroutine).
func (r *kafkaRun[T]) complete(id uint64, retainedFrom int64) {
	r.mu.Lock()
	snap := r.pending[id]
	for k := range r.pending {
		if k <= id {
			delete(r.pending, k)
		}
	}
	commit := map[string]map[int32]kgo.EpochOffset{}
	var parts []*partState
	for ps, barrier := range snap {
		if r.parts[ps.tp] != ps {
			continue // revoked since
		}
		off := ps.safeOffset(barrier, retainedFrom)
		if off > ps.safe {
			ps.safe = off
		}
		ps.trim(ps.safe)
		if ps.safe > ps.committed {
			addCommit(commit, ps.tp, ps.safe)
			parts = append(parts, ps)
		}
	}
	r.mu.Unlock()
	r.commit(commit, parts)
}

func addCommit(m map[string]map[int32]kgo.EpochOffset, tp topicPart, off int64) {
	ps := m[tp.topic]
	if ps == nil {
		ps = map[int32]kgo.EpochOffset{}
		m[tp.topic] = ps
	}
	ps[tp.partition] = kgo.EpochOffset{Epoch: -1, Offset: off}
}

// commit commits synchronously and records what was committed. Failures are
// retried by the next checkpoint or revocation (offsets are absolute).
func (r *kafkaRun[T]) commit(m map[string]map[int32]kgo.EpochOffset, parts []*partState) {
	if len(m) == 0 || r.group == "" {
		return
	}
	r.commitMu.Lock()
	defer r.commitMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	r.cl.CommitOffsetsSync(ctx, m, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, e error) {
		err = e
		if e == nil {
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if e := kerr.ErrorForCode(p.ErrorCode); e != nil && err == nil {
						err = e
					}
				}
			}
		}
	})
	if err != nil {
		r.src.commitErrors.Add(1)
		if f := r.src.cfg.onCommit; f != nil {
			f(err)
		}
		r.mu.Lock()
		if r.closed && r.finalErr == nil {
			r.finalErr = fmt.Errorf("source.Kafka: final offset commit: %w (records after the offsets committed before will be read again)", err)
		}
		r.mu.Unlock()
		return
	}
	r.mu.Lock()
	for _, ps := range parts {
		if o := m[ps.tp.topic][ps.tp.partition].Offset; o > ps.committed {
			ps.committed = o
		}
	}
	r.mu.Unlock()
}

func (r *kafkaRun[T]) onAssigned(ctx context.Context, cl *kgo.Client, assigned map[string][]int32) {
	now := time.Now().UnixNano()
	var ends map[topicPart]groupEnd
	if r.src.cfg.stopAtEnd {
		ends = groupEnds(ctx, cl, r.group, assigned, r.limit)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.balancing = false
	r.assigns++
	for t, ps := range assigned {
		for _, p := range ps {
			tp := topicPart{t, p}
			st := r.newPart(tp, now)
			if e, ok := ends[tp]; ok {
				st.end, st.done = e.end, e.done
			}
			r.parts[tp] = st
		}
	}
}

func (r *kafkaRun[T]) onRevoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	commit := map[string]map[int32]kgo.EpochOffset{}
	r.mu.Lock()
	r.balancing = true
	var parts []*partState
	for t, ps := range revoked {
		for _, p := range ps {
			tp := topicPart{t, p}
			st := r.parts[tp]
			if st == nil {
				continue
			}
			delete(r.parts, tp)
			if st.safe > st.committed {
				addCommit(commit, tp, st.safe)
				parts = append(parts, st)
			}
		}
	}
	r.mu.Unlock()
	r.commit(commit, parts)
}

func (r *kafkaRun[T]) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for t, ps := range lost {
		for _, p := range ps {
			delete(r.parts, topicPart{t, p})
		}
	}
}

func (r *kafkaRun[T]) close() error {
	r.mu.Lock()
	if r.closed || r.cl == nil {
		r.closed = true
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	cl := r.cl
	r.mu.Unlock()
	// Close revokes the group's partitions (committing their safe offsets in
	// onRevoked) and leaves the group.
	cl.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finalErr
}

// directEnds sets end offsets for StopAtEnd without a group: every partition
// of the consumed topics (or of the explicit partitions) is tracked from the
// start.
func (r *kafkaRun[T]) directEnds(ctx context.Context) error {
	want := map[string]map[int32]bool{}
	if ts, ok := r.cl.OptValue(kgo.ConsumeTopics).([]string); ok {
		for _, t := range ts {
			want[t] = nil
		}
	}
	if pm, ok := r.cl.OptValue(kgo.ConsumePartitions).(map[string]map[int32]kgo.Offset); ok {
		for t, ps := range pm {
			want[t] = map[int32]bool{}
			for p := range ps {
				want[t][p] = true
			}
		}
	}
	topics := make([]string, 0, len(want))
	for t := range want {
		topics = append(topics, t)
	}
	adm := kadm.NewClient(r.cl)
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("source.Kafka: list start offsets: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("source.Kafka: list end offsets: %w", err)
	}
	now := time.Now().UnixNano()
	r.mu.Lock()
	defer r.mu.Unlock()
	var ferr error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			ferr = fmt.Errorf("source.Kafka: end offset of %s/%d: %w", o.Topic, o.Partition, o.Err)
			return
		}
		if ps := want[o.Topic]; ps != nil && !ps[o.Partition] {
			return
		}
		tp := topicPart{o.Topic, o.Partition}
		st := r.newPart(tp, now)
		st.end = r.limit(tp, o.Offset)
		if s, ok := starts.Lookup(o.Topic, o.Partition); ok && s.Offset >= st.end {
			st.done = true
		}
		r.parts[tp] = st
	})
	return ferr
}

// limit applies KafkaStopAt's end offset to a partition's end offset.
func (r *kafkaRun[T]) limit(tp topicPart, end int64) int64 {
	if e, ok := r.src.cfg.stopAt[tp.topic][tp.partition]; ok && e < end {
		return e
	}
	return end
}

// groupEnd is the end of a group partition's bounded read.
type groupEnd struct {
	end  int64
	done bool // the start position is already at the end
}

// groupEnds returns the end offsets of newly assigned partitions, each
// noting whether its start position (committed offset, else log start) is
// already at its end. A partition whose end offset cannot be listed has
// none.
func groupEnds(ctx context.Context, cl *kgo.Client, group string, assigned map[string][]int32, limit func(topicPart, int64) int64) map[topicPart]groupEnd {
	adm := kadm.NewClient(cl)
	topics := make([]string, 0, len(assigned))
	for t := range assigned {
		topics = append(topics, t)
	}
	out := map[topicPart]groupEnd{}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return out
	}
	starts, _ := adm.ListStartOffsets(ctx, topics...)
	committed, _ := adm.FetchOffsets(ctx, group)
	for t, ps := range assigned {
		for _, p := range ps {
			e, ok := ends.Lookup(t, p)
			if !ok || e.Err != nil {
				continue
			}
			e.Offset = limit(topicPart{t, p}, e.Offset)
			start := int64(0)
			if s, ok := starts.Lookup(t, p); ok && s.Err == nil {
				start = s.Offset
			}
			if c, ok := committed.Lookup(t, p); ok && c.Err == nil && c.At >= 0 {
				start = max(start, c.At)
			}
			out[topicPart{t, p}] = groupEnd{end: e.Offset, done: start >= e.Offset}
		}
	}
	return out
}
