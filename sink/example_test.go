package sink_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

func ExampleFunc() {
	p := stream.New()
	nums := stream.From(p, source.Slice([]int{1, 2, 3, 4, 5, 6}))
	even := stream.Filter(nums, func(n int) bool { return n%2 == 0 })
	sink.To(even, sink.Func(func(n int) error {
		fmt.Println("got", n)
		return nil // a non-nil error would stop the pipeline
	}))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// got 2
	// got 4
	// got 6
}

func ExampleEventFunc() {
	type order struct {
		ID string
		At time.Time
	}
	t0 := time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)
	p := stream.New()
	orders := stream.From(p, source.Slice([]order{{"A1", t0}, {"A2", t0.Add(90 * time.Second)}}),
		stream.EventTime(func(o order) time.Time { return o.At }))
	sink.To(orders, sink.EventFunc(func(e stream.Event[order]) error {
		fmt.Println(e.Value.ID, "at", stream.ToTime(e.Time).Format(time.Kitchen))
		return nil
	}))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// A1 at 9:30AM
	// A2 at 9:31AM
}

func ExampleChan() {
	ch := make(chan string)
	p := stream.New()
	sink.To(stream.From(p, source.Slice([]string{"x", "y", "z"})), sink.Chan(ch))
	var err error
	go func() {
		err = p.Run(context.Background())
		close(ch) // the sink never closes the channel: the caller does
	}()
	for s := range ch {
		fmt.Println(s)
	}
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// x
	// y
	// z
}

func ExampleCollect() {
	p := stream.New()
	c := sink.Collect[string]()
	sink.To(stream.From(p, source.Slice([]string{"a", "b", "c"})), c)
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println(c.Len(), c.Values())
	for v := range c.All() {
		fmt.Print(v, " ")
	}
	fmt.Println()
	// Output:
	// 3 [a b c]
	// a b c
}

func ExampleJSONLines() {
	type total struct {
		Page  string `json:"page"`
		Views int    `json:"views"`
	}
	p := stream.New()
	sink.To(stream.From(p, source.Slice([]total{{"/", 3}, {"/about", 1}})), sink.JSONLines[total](os.Stdout))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"page":"/","views":3}
	// {"page":"/about","views":1}
}

func ExampleLines() {
	p := stream.New()
	sink.To(stream.From(p, source.Slice([]time.Duration{1500 * time.Millisecond, time.Minute})), sink.Lines[time.Duration](os.Stdout))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1.5s
	// 1m0s
}

func ExampleDiscard() {
	p := stream.New()
	n := sink.Discard[int]()
	sink.To(stream.From(p, source.Slice(make([]int, 1000))), n)
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println(n.Count())
	// Output: 1000
}
