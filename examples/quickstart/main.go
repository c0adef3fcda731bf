// Quickstart counts page views per page and per minute of event time: the
// "hello world" of weir.
//
// It reads a small, fixed list of views (a real service would read Kafka),
// keys them by page, counts each page's views in one-minute buckets of the
// time the view happened, and prints each count when the watermark says
// that minute is complete. Views may arrive up to 30 seconds out of order.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

// View is one page view.
type View struct {
	Page string
	User string
	At   time.Time
}

// Count is the number of views of a page in the minute starting at Minute.
type Count struct {
	Page   string
	Minute time.Time
	Views  int
}

// String formats a count as one line of output: minute, page, views.
func (c Count) String() string {
	return fmt.Sprintf("%s  %-9s %d", c.Minute.Format("15:04"), c.Page, c.Views)
}

// at returns 12:mm:ss on 1 May 2024, UTC.
func at(mm, ss int) time.Time { return time.Date(2024, 5, 1, 12, mm, ss, 0, time.UTC) }

// views is the input, in arrival order. The view at 12:00:50 arrives after
// one at 12:01:05: within the 30 s allowed, so it still counts for 12:00.
var views = []View{
	{"/", "ann", at(0, 5)},
	{"/docs", "bob", at(0, 12)},
	{"/", "cid", at(0, 31)},
	{"/", "bob", at(1, 5)},
	{"/docs", "ann", at(0, 50)},
	{"/pricing", "dee", at(1, 20)},
	{"/", "ann", at(1, 42)},
	{"/docs", "cid", at(2, 10)},
	{"/", "eve", at(2, 15)},
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run builds and runs the pipeline, printing counts to w.
func run(ctx context.Context, w io.Writer) error {
	p := stream.New()
	in := stream.From(p, source.Slice(views),
		stream.EventTime(func(v View) time.Time { return v.At }),
		stream.Watermarks(stream.BoundedOutOfOrderness(30*time.Second)))
	byPage := stream.KeyBy(in, func(v View) string { return v.Page })
	counts := stream.Process(byPage, countView, emitCount, stream.Name("count"))
	sink.To(counts, sink.Lines[Count](w))
	return p.Run(ctx)
}

// perMinute is a page's state: its view count per minute, by the minute's
// last instant (Unix nanoseconds). Out-of-order views can keep two minutes
// open at once.
type perMinute map[int64]int

// countView counts a view in its minute and asks to be called back when the
// watermark passes the end of that minute.
func countView(c *stream.KeyedContext[string, perMinute, Count], v View) {
	counts := c.State()
	if *counts == nil {
		*counts = perMinute{}
	}
	end := c.Time() - c.Time()%int64(time.Minute) + int64(time.Minute) - 1
	(*counts)[end]++
	c.SetEventTimer(end)
}

// emitCount emits the count of a minute that is complete and forgets it;
// a page with no minute open any more drops its state, which also lets
// checkpoints move past the views it counted (see stream.Process).
func emitCount(c *stream.KeyedContext[string, perMinute, Count], t stream.Timer) {
	counts := *c.State()
	start := stream.ToTime(t.Time + 1).Add(-time.Minute)
	c.Emit(Count{Page: c.Key(), Minute: start, Views: counts[t.Time]})
	delete(counts, t.Time)
	if len(counts) == 0 {
		c.ClearState()
	}
}
