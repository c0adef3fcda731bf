package stream

import (
	"math"
	"time"
)

// Event is one element of a stream together with its event time.
//
// Time is Unix nanoseconds. Operators preserve the time of the element they
// transform unless they document otherwise (a window result carries the last
// instant of its window).
type Event[T any] struct {
	Value T
	Time  int64
}

const (
	// MinTime is the watermark before any watermark was seen: nothing is late yet.
	MinTime int64 = math.MinInt64
	// MaxTime is the final watermark, sent when a bounded input ends. It fires
	// every event-time timer and window.
	MaxTime int64 = math.MaxInt64
)

// TimeOf converts a time.Time to the Unix nanoseconds used for event time.
// The zero time.Time maps to MinTime.
func TimeOf(t time.Time) int64 {
	if t.IsZero() {
		return MinTime
	}
	return t.UnixNano()
}

// ToTime converts event time in Unix nanoseconds to a time.Time in UTC.
// MinTime and MaxTime map to the zero time.Time.
func ToTime(ns int64) time.Time {
	if ns == MinTime || ns == MaxTime {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
