package window

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalid is wrapped by the error Run returns when a windowed stage's
// assigner or options are invalid (a size, slide or gap <= 0, a slide larger
// than the size, conflicting options, a nil aggregator, a function of the
// wrong element type). The mistake is found while the pipeline is built: Run
// fails before starting anything, with an error that also wraps
// stream.ErrInvalidPipeline.
var ErrInvalid = errors.New("window: invalid window")

// ErrTimeRange is wrapped by the error a tumbling or sliding stage gives its
// error policy for an element whose event time is so close to
// stream.MinTime or stream.MaxTime (about 292 years before or after 1970)
// that its windows' bounds cannot be represented in int64 nanoseconds:
// within size plus two slides of either limit, plus the allowed lateness
// below. Such a time is usually a bug in the source's timestamps (a zero
// time.Time is stream.MinTime). With the default FailOnError Run fails with
// an error naming the stage; SkipOnError and DeadLetterOnError drop the
// element (counted in the stage's Errors metric, and sent to the dead
// letters with the latter). The element is not late: it is in no window.
var ErrTimeRange = errors.New("window: event time too close to the limits of int64 nanoseconds")

type kind uint8

const (
	kindNone kind = iota
	kindTumbling
	kindSliding
	kindSession
	kindGlobal
)

// Assigner says which windows an element belongs to. Build one with
// Tumbling, Sliding, Session, SessionFunc or Global; the zero Assigner is
// invalid. An Assigner is an immutable value, safe to share.
type Assigner struct {
	kind             kind
	size, slide, off int64
	gap              int64
	gapFn            any // func(T) time.Duration for SessionFunc
	offsetSet        bool
}

// Tumbling assigns each element to one window of the given size: windows are
// [k*size, (k+1)*size) aligned to the Unix epoch (see WithOffset). Windows
// with no element produce no result. size <= 0 is invalid.
//
// An element within size plus two slides of stream.MinTime or
// stream.MaxTime (plus the allowed lateness, at the low end) has windows
// that int64 nanoseconds cannot represent: it goes to the stage's error
// policy with ErrTimeRange (the same for Sliding).
func Tumbling(size time.Duration) Assigner {
	return Assigner{kind: kindTumbling, size: int64(size), slide: int64(size)}
}

// Sliding assigns each element to the size/slide overlapping windows
// [k*slide, k*slide+size) that contain it (aligned to the epoch, see
// WithOffset). Internally an element updates a single pane of length
// gcd(size, slide), and each window's result merges its panes: the cost of
// an element does not grow with size/slide, and an on-time firing reuses the
// partial merges of the previous ones (amortised slide/gcd merges per key).
// slide <= 0, size <= 0 or slide > size are invalid; slide == size is a
// tumbling window. Elements too close to the limits of int64 nanoseconds
// are rejected with ErrTimeRange, as with Tumbling.
func Sliding(size, slide time.Duration) Assigner {
	return Assigner{kind: kindSliding, size: int64(size), slide: int64(slide)}
}

// Session groups each key's elements into sessions: an element at time t
// opens the window [t, t+gap); windows of one key that overlap are merged
// (their accumulators are merged), so a session ends at its last element
// plus gap. Two elements exactly gap apart are in different sessions. gap <=
// 0 is invalid.
//
// A session that has already emitted a result and is then merged into a
// larger one (an element bridging two sessions, or extending a fired session
// within the allowed lateness) is withdrawn with a Retract result for its old
// bounds before the merged window emits. With Discarding there is no
// Retract: the results emitted are deltas and stay valid, and the merged
// session emits only what arrived since.
func Session(gap time.Duration) Assigner {
	return Assigner{kind: kindSession, gap: int64(gap)}
}

// SessionFunc is Session with a gap computed per element by gap (for example
// from a field of the element): the element at t opens [t, t+gap(v)). A gap
// below 1ns is treated as 1ns. The element type T must be the element type of
// the keyed stream the assigner is used with, else Run fails with
// ErrInvalid.
func SessionFunc[T any](gap func(T) time.Duration) Assigner {
	return Assigner{kind: kindSession, gapFn: gap}
}

// Global puts all elements of a key into one window that ends with the input:
// it emits when a bounded input ends (the final watermark), and otherwise
// only through early triggers (EarlyEvery, EarlyEveryCount, EarlyWhen).
// With EarlyEveryCount(n) and Discarding it makes count windows: one result
// per n elements of a key. Its results have Start stream.MinTime and End
// stream.MaxTime. State is kept for every key ever seen (unless Discarding
// empties it): use it for bounded key sets.
func Global() Assigner { return Assigner{kind: kindGlobal} }

// WithOffset returns a copy of a tumbling or sliding assigner whose windows
// are shifted by d from the epoch: [k*slide+d, k*slide+d+size) (for example
// time zones for daily windows). d may be negative; it is reduced modulo the
// slide. It makes a Session or Global assigner invalid.
func (a Assigner) WithOffset(d time.Duration) Assigner {
	a.off = int64(d)
	a.offsetSet = true
	return a
}

// String describes the assigner, for example "tumbling(1m0s)".
func (a Assigner) String() string {
	switch a.kind {
	case kindTumbling:
		return fmt.Sprintf("tumbling(%v)", time.Duration(a.size))
	case kindSliding:
		return fmt.Sprintf("sliding(%v, %v)", time.Duration(a.size), time.Duration(a.slide))
	case kindSession:
		if a.gapFn != nil {
			return "session(dynamic)"
		}
		return fmt.Sprintf("session(%v)", time.Duration(a.gap))
	case kindGlobal:
		return "global"
	}
	return "invalid"
}

func (a Assigner) validate() error {
	switch a.kind {
	case kindTumbling, kindSliding:
		if a.size <= 0 || a.slide <= 0 || a.slide > a.size {
			return fmt.Errorf("%w: %v: need 0 < slide <= size", ErrInvalid, a)
		}
	case kindSession:
		if a.offsetSet {
			return fmt.Errorf("%w: %v: offset on a session window", ErrInvalid, a)
		}
		if a.gapFn == nil && a.gap <= 0 {
			return fmt.Errorf("%w: %v: gap must be > 0", ErrInvalid, a)
		}
	case kindGlobal:
		if a.offsetSet {
			return fmt.Errorf("%w: offset on a global window", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: zero Assigner", ErrInvalid)
	}
	return nil
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// floorDiv is a/b rounded towards -inf (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// satAdd is a+b clamped to the int64 range (b >= 0).
func satAdd(a, b int64) int64 {
	if a > maxTime-b {
		return maxTime
	}
	return a + b
}
