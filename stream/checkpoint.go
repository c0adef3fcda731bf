package stream

// At-least-once delivery with state held in windows and joins works by
// checkpoint barriers and retention, not by snapshotting state:
//
//   - Every checkpoint interval the runtime asks each source for a barrier.
//     The source's prepare callback records its input positions (Kafka
//     offsets), then the barrier travels in-band after everything the source
//     emitted before it.
//   - Each stage forwards the barrier once it has arrived on all its inputs.
//     Stateful operators (Retainer) add to it the lowest event time whose
//     contribution they still hold; sinks flush before they acknowledge it.
//   - When every sink has acknowledged, the checkpoint is complete: every
//     element the sources emitted before the barrier has reached durable
//     output, or is held in state with event time >= the checkpoint's
//     retainedFrom. The source's complete callback may then commit every
//     position before the barrier whose elements (and all earlier ones) have
//     event time < retainedFrom.
//
// A restart replays from the committed positions, so no element's
// contribution to any result is lost; some may be counted twice (at least
// once). A final checkpoint completes when Run ends without failure
// (exhausted or cancelled), before Run returns.

// Retainer is implemented by operators that hold the contribution of input
// elements in state until a later firing (windows, join buffers). It is asked
// when a checkpoint barrier passes the operator, from the operator's own
// goroutine.
type Retainer interface {
	// RetainedFrom returns the lowest event time of any input element whose
	// contribution is held in state and may still change or produce output,
	// or MaxTime when nothing is held.
	RetainedFrom() int64
	// OutputDelay returns the largest amount by which the event time of an
	// output element may exceed the time of an input element it derives
	// from (a tumbling window of size d stamping results at its end: d). A
	// value < 0 means unbounded (session windows): a later stateful stage
	// then stops commits past anything it holds.
	OutputDelay() int64
}

// CheckpointFuncs are a source's checkpoint callbacks (see Emitter.OnCheckpoint).
type CheckpointFuncs struct {
	// Prepare is called in the source's goroutine just before barrier id
	// follows the elements emitted so far: record the input positions of
	// everything emitted up to now under id.
	Prepare func(id uint64)
	// Complete is called, from another goroutine, when checkpoint id is
	// complete (see the package comment on checkpoints). Checkpoints complete
	// in id order; a source may commit positions of id and forget earlier ones.
	// retainedFrom is MaxTime when no stage holds anything.
	Complete func(id uint64, retainedFrom int64)
}
