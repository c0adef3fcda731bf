package window

import (
	"fmt"
	"time"

	"github.com/weirhq/weir/stream"
)

const (
	minTime = stream.MinTime
	maxTime = stream.MaxTime
)

// Firing says why a Result was emitted.
type Firing uint8

const (
	// OnTime is the result emitted when the watermark passes the window's
	// end (with FinalOnly: its end plus the allowed lateness; for a Global
	// window: the end of input).
	OnTime Firing = iota
	// Early is a partial result emitted by an early trigger (EarlyEvery,
	// EarlyEveryCount, EarlyWhen) before the window is complete.
	Early
	// Late is an updated result emitted when an element arrives after the
	// on-time firing but within the allowed lateness. It replaces the
	// earlier results of the same window.
	Late
	// Retract withdraws the results emitted earlier for a session window that
	// has since been merged into a larger session; Value is the zero value.
	// Only session windows retract, and not with Discarding.
	Retract
)

// String returns "on-time", "early", "late" or "retract".
func (f Firing) String() string {
	switch f {
	case OnTime:
		return "on-time"
	case Early:
		return "early"
	case Late:
		return "late"
	case Retract:
		return "retract"
	}
	return fmt.Sprintf("Firing(%d)", uint8(f))
}

// Result is one firing of one window for one key. Start and End bound the
// window [Start, End) in event time (Unix nanoseconds, like stream.Event
// times; StartTime and EndTime convert). The result travels at event time
// End-1, the last instant of its window (for a Global window MaxTime-1).
//
// For one key, results come out in the order their windows' ends are passed
// by the watermark; an Early result precedes the OnTime result of its
// window, Late results follow it. Late results and Retracts are emitted when
// the element that causes them arrives, so they may follow results of later
// windows. The last result emitted for a (Key, Start, End) that is not a
// Retract is the window's final value.
type Result[K, R any] struct {
	Key        K
	Start, End int64
	Value      R
	Firing     Firing
}

// StartTime returns Start as a time.Time (the zero time for MinTime).
func (r Result[K, R]) StartTime() time.Time { return stream.ToTime(r.Start) }

// EndTime returns End as a time.Time (the zero time for MaxTime).
func (r Result[K, R]) EndTime() time.Time { return stream.ToTime(r.End) }

// String formats the result for debugging and tests.
func (r Result[K, R]) String() string {
	return fmt.Sprintf("%v [%d,%d) %v %v", r.Key, r.Start, r.End, r.Firing, r.Value)
}
