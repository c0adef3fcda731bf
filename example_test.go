package weir_test

import (
	"context"
	"fmt"
	"time"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/window"
)

type PageView struct {
	Page string
	At   time.Time
}

// A complete pipeline: page views, out of order by up to 5 seconds, counted
// per page in one-minute event-time windows. The view of /b at 12:00:58
// arrives after a view at 12:01:02 and still counts in the first minute.
func Example() {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	views := []PageView{
		{"/a", t0.Add(10 * time.Second)},
		{"/b", t0.Add(20 * time.Second)},
		{"/a", t0.Add(61 * time.Second)},
		{"/a", t0.Add(62 * time.Second)},
		{"/b", t0.Add(58 * time.Second)}, // late by 4s: within the bound
		{"/a", t0.Add(130 * time.Second)},
	}

	p := stream.New()
	s := stream.From(p, source.Slice(views),
		stream.EventTime(func(v PageView) time.Time { return v.At }),
		stream.Watermarks(stream.BoundedOutOfOrderness(5*time.Second)))
	byPage := stream.KeyBy(s, func(v PageView) string { return v.Page })
	perMinute := window.Aggregate(byPage, window.Tumbling(time.Minute), agg.Count[PageView]())
	sink.To(perMinute, sink.Func(func(r window.Result[string, int64]) error {
		fmt.Printf("%s %s %d\n", r.StartTime().Format("15:04"), r.Key, r.Value)
		return nil
	}))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Unordered output:
	// 12:00 /a 1
	// 12:00 /b 2
	// 12:01 /a 2
	// 12:02 /a 1
}
