package streamtest_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/stream/streamtest"
)

// A script with a late element: 3 at time 5 arrives after the watermark 20.
// The recorder shows each element with its time and the watermarks in
// between. In a test, use streamtest.Run(t, p) and
// streamtest.Equal(t, out.Trace(), want) instead of printing.
func ExampleScript() {
	p := stream.New()
	in := streamtest.NewScript[int]().
		Add(1, 10).
		Add(2, 20).
		Watermark(20).
		Add(3, 5). // late
		Add(4, 30)
	doubled := stream.Map(streamtest.From(p, in), func(x int) int { return 2 * x })
	out := streamtest.Record(doubled)
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Print(out.Trace())
	// Output:
	// 2@10
	// 4@20
	// wm 20
	// 6@5
	// 8@30
	// wm max
}
