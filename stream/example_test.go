package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

// Stateless stages chain into one task: no goroutine or channel per stage.
func Example() {
	p := stream.New()
	nums := stream.From(p, source.Slice([]int{1, 2, 3, 4, 5, 6}))
	even := stream.Filter(nums, func(x int) bool { return x%2 == 0 })
	labels := stream.Map(even, func(x int) string { return "#" + strconv.Itoa(x) })
	sink.To(labels, sink.Func(func(s string) error { fmt.Println(s); return nil }))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// #2
	// #4
	// #6
}

// MapErr with the dead-letter policy: failed elements reach
// Pipeline.DeadLetters with the error and the stage's name; the rest flow on.
func ExampleMapErr() {
	p := stream.New()
	raw := stream.From(p, source.Slice([]string{"1", "two", "3"}))
	nums := stream.MapErr(raw, strconv.Atoi, stream.Name("parse"), stream.OnError(stream.DeadLetterOnError))
	sink.To(nums, sink.Func(func(n int) error { fmt.Println("ok", n); return nil }))
	sink.To(p.DeadLetters(), sink.Func(func(d stream.DeadLetter) error {
		fmt.Printf("dead letter from %s: %v (%v)\n", d.Stage, d.Value, errors.Unwrap(d.Err))
		return nil
	}))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	m, _ := p.Stage("parse")
	fmt.Println("errors counted:", m.Errors)
	// Unordered output:
	// ok 1
	// ok 3
	// dead letter from parse: two (invalid syntax)
	// errors counted: 1
}

type click struct {
	User string
	At   time.Time
}

// Process keeps state per key and sets event-time timers: here, the number
// of clicks per user, emitted when the input ends (the final watermark fires
// every timer).
func ExampleProcess() {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clicks := []click{{"ann", t0}, {"bob", t0.Add(time.Second)}, {"ann", t0.Add(2 * time.Second)}}
	p := stream.New()
	s := stream.From(p, source.Slice(clicks), stream.EventTime(func(c click) time.Time { return c.At }))
	counts := stream.Process(stream.KeyBy(s, func(c click) string { return c.User }),
		func(c *stream.KeyedContext[string, int, string], v click) {
			*c.State()++
			c.SetEventTimer(stream.MaxTime - 1)
		},
		func(c *stream.KeyedContext[string, int, string], _ stream.Timer) {
			c.Emit(fmt.Sprintf("%s clicked %d times", c.Key(), *c.State()))
		})
	sink.To(counts, sink.Func(func(s string) error { fmt.Println(s); return nil }))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Unordered output:
	// ann clicked 2 times
	// bob clicked 1 times
}

// Dedupe drops repeats of a key within a horizon of event time.
func ExampleDedupe() {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clicks := []click{{"ann", t0}, {"ann", t0.Add(time.Second)}, {"bob", t0.Add(time.Second)}, {"ann", t0.Add(time.Minute)}}
	p := stream.New()
	s := stream.From(p, source.Slice(clicks), stream.EventTime(func(c click) time.Time { return c.At }))
	unique := stream.Dedupe(stream.KeyBy(s, func(c click) string { return c.User }), 10*time.Second)
	sink.To(unique, sink.Func(func(c click) error { fmt.Println(c.User, c.At.Format("15:04:05")); return nil }))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ann 00:00:00
	// bob 00:00:01
	// ann 00:01:00
}
