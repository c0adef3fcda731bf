package stream

import (
	"runtime/debug"
	"sync/atomic"
	"time"
)

// StageMetrics is a snapshot of one named stage's counters, summed over its
// parallel instances.
type StageMetrics struct {
	Stage string
	// In counts elements received; Out elements emitted downstream.
	In, Out uint64
	// Dropped counts elements consumed by design without output (a Filter's
	// rejects, a Dedupe's repeats).
	Dropped uint64
	// Late counts elements that arrived after their window or join state was
	// finalised (they go to a late output if one was asked for).
	Late uint64
	// Errors counts elements that failed and were skipped or dead-lettered.
	Errors uint64
	// Watermark is the stage's current input watermark (Unix nanoseconds;
	// MinTime before the first one). With parallel instances it is the lowest.
	Watermark int64
}

// Hook is any value implementing one or more of the hook interfaces
// (MetricsHook, ErrorHook, LateHook). Hooks are called from the pipeline's
// goroutines: implementations must be safe for concurrent use and fast.
type Hook any

// MetricsHook receives a metrics snapshot every metrics interval (see
// WithMetricsInterval) and once more when Run returns.
type MetricsHook interface {
	OnMetrics(stages []StageMetrics)
}

// ErrorHook is told of every element skipped or dead-lettered under the error
// policy.
type ErrorHook interface {
	OnRecordError(stage string, err error)
}

// LateHook is told of late elements as they are counted.
type LateHook interface {
	OnLate(stage string, n int)
}

// stageMeta is the shared, per-logical-stage record: its name, policy and
// counters. Parallel instances share one stageMeta; counters are atomic and
// updated once per batch on hot paths.
type stageMeta struct {
	name    string
	policy  ErrorPolicy
	rt      *runtime
	in, out atomic.Uint64
	dropped atomic.Uint64
	late    atomic.Uint64
	errors  atomic.Uint64
	// watermark per instance; the snapshot reports the minimum.
	wms []atomic.Int64
}

func (m *stageMeta) snapshot() StageMetrics {
	s := StageMetrics{
		Stage: m.name, In: m.in.Load(), Out: m.out.Load(), Dropped: m.dropped.Load(),
		Late: m.late.Load(), Errors: m.errors.Load(), Watermark: MinTime,
	}
	for i := range m.wms {
		w := m.wms[i].Load()
		if i == 0 || w < s.Watermark {
			s.Watermark = w
		}
	}
	return s
}

// guard turns a panic in user code into a failure naming this stage. It is
// deferred by every stage entry point; a failure raised further down the chain
// passes through unchanged.
func (m *stageMeta) guard() {
	r := recover()
	if r == nil {
		return
	}
	panic(asFailure(m.name, r))
}

// asFailure returns what a recover returned as a failure: a failure raised
// by a stage as it is, anything else as a panic of user code in stage, with
// the stack at the panic (call it from the deferred function).
func asFailure(stage string, r any) *failure {
	if f, ok := r.(*failure); ok {
		return f
	}
	return &failure{err: &StageError{Stage: stage, Err: &PanicError{Value: r, Stack: debug.Stack()}}}
}

// fail aborts the current task with err attributed to this stage.
func (m *stageMeta) fail(err error) {
	panic(&failure{err: &StageError{Stage: m.name, Err: err}})
}

// reject applies the stage's error policy to one failed element.
func (m *stageMeta) reject(ts int64, value any, raw []byte, meta map[string]string, err error, dlq func(DeadLetter)) {
	switch m.policy {
	case SkipOnError:
	case DeadLetterOnError:
		if ts == MinTime || ts == MaxTime {
			ts = time.Now().UnixNano()
		}
		dlq(DeadLetter{Stage: m.name, Err: err, Value: value, Raw: raw, Time: ts, Meta: meta})
	default:
		m.fail(err)
	}
	m.errors.Add(1)
	for _, h := range m.rt.errorHooks {
		h.OnRecordError(m.name, err)
	}
}

func (m *stageMeta) countLate(n int) {
	if n <= 0 {
		return
	}
	m.late.Add(uint64(n))
	for _, h := range m.rt.lateHooks {
		h.OnLate(m.name, n)
	}
}
