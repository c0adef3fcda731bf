// Package stream is weir's core: typed streams, event time and watermarks,
// the stages that transform and key streams, error policies, metrics,
// checkpoints, and the runtime that runs a pipeline inside your process.
//
// # Building and running
//
// A Pipeline is built with From (a Source), stage functions (Map, MapErr,
// Filter, FlatMap, Tap, KeyBy, Union, Dedupe, DedupeApprox, Process, and the
// window and join packages) and sinks (To). Building does no I/O: mistakes
// are reported by Run, wrapped in ErrInvalidPipeline. Only a zero Stream or
// a nil *Pipeline given to a stage function panics, as there is then no Run
// to report to. Run
// blocks until bounded input is exhausted and flushed (nil), a stage fails
// (the first failure, wrapped in a StageError naming the stage; a panic in
// user code becomes a PanicError inside it), or its context is cancelled
// (sources stop, data in flight drains, Run returns the context's error). No
// goroutine outlives Run.
//
// # Event time and watermarks
//
// Every element carries an event time (Event.Time, Unix nanoseconds), taken
// from the source (EventTime, Emitter.EmitAt) or, by default, the time the
// source emitted it. A watermark W promises that no more elements with time
// <= W are expected; sources generate it per their WatermarkStrategy
// (Ascending by default, BoundedOutOfOrderness, or custom) after each batch.
// Stages with several inputs (Union, joins) take the minimum of their inputs'
// watermarks, ignoring inputs idle for longer than their IdleTimeout. The
// end of bounded input sends the final watermark MaxTime, which fires every
// window and timer: the same pipeline runs as a batch job over a slice or a
// file and as a live job over Kafka. A cancelled run sends no final
// watermark, so nothing fires early.
//
// # The runtime
//
// Stages with the same parallelism and no repartitioning between them are
// chained into one task: a goroutine that pushes batches of elements
// ([]Event[T], WithBatchSize) through them by direct calls, with no channel,
// lock or allocation per element. A batch is handed down the chain, not
// copied: Map to the same type and Filter rewrite it in place (where a
// stream feeds several stages, all but the last get their own copy), and
// every stage, operator and sink may hold a batch only for the duration of
// the call. A source that reads in bulk (Emitter.EmitAll, as Slice does)
// does not even build the first batch when a Map or Filter alone follows it
// and the source stamps its elements itself (no EventTime extractor, a
// bounded watermark strategy such as the default): that stage reads whole
// batches of the source's values where they are and writes its output to
// its own buffer. Tasks are connected by exchanges where data
// must move: after a KeyBy whose keyed stages run in parallel
// (Parallelism, WithParallelism; elements are spread by a hash of their key,
// so a key's state lives in one instance), into a Union or a two-input stage,
// and into sinks fed by parallel stages (a sink is always called from one
// goroutine at a time). An exchange is a bounded queue of batches
// (WithExchangeCapacity): when it is full its producers block, and the block
// reaches the sources. That is the backpressure; memory stays bounded
// whatever the input rate. Watermarks, idleness, checkpoint barriers and the
// end of input travel in-band, in order with the data.
//
// # Bad input and errors
//
// An element that fails (a source's undecodable input, an error from MapErr,
// a stage's Reject) follows its stage's ErrorPolicy (WithErrorPolicy,
// OnError): FailOnError stops the pipeline (the default), SkipOnError counts
// it, DeadLetterOnError sends a DeadLetter with the original element or
// bytes, the error and the stage's name to Pipeline.DeadLetters. Nothing is
// silently lost: every skipped, dropped and late element is counted in the
// stage's metrics (Pipeline.Metrics, Pipeline.Stage, MetricsHook).
//
// # Checkpoints and at-least-once
//
// With WithCheckpointInterval, sources inject checkpoint barriers; stateful
// stages report the oldest event time they still hold (Retainer) as the
// barrier passes, sinks flush, and when every sink has acknowledged a barrier
// its sources may commit their input positions up to the barrier, except
// records whose contribution is still held in state (see CheckpointFuncs).
// State is not snapshotted: after a restart it is rebuilt by replaying from
// the committed positions, so no input's contribution to a result is lost
// (some may count twice).
//
// # Extending
//
// Packages that add stages (window, join) implement Operator or Operator2 and
// add them with Apply, ApplyKeyed, ApplyKeyedWithSide or ApplyKeyed2; an
// Operator is called from one goroutine, in stream order, so it needs no
// locks. Process gives users the same power per key, with keyed state and
// event- and processing-time timers.
package stream
