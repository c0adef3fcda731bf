package join_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/weirhq/weir/join"
	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/stream/streamtest"
)

// at returns 12:mm on some day: event times that read well.
func at(mm int) time.Time { return time.Date(2026, 3, 1, 12, mm, 0, 0, time.UTC) }

type Impression struct {
	Ad string
	At time.Time
}

type Click struct {
	Ad string
	At time.Time
}

// from is a source of xs in time order, with event times from when.
func from[T any](p *stream.Pipeline, xs []T, when func(T) time.Time) stream.Stream[T] {
	return stream.From(p, source.Slice(xs), stream.EventTime(when))
}

// printSorted runs p and prints what reached out, sorted (parallel inputs
// interleave in no fixed order).
func printSorted(p *stream.Pipeline, out *sink.Collection[string]) {
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	vs := out.Values()
	slices.Sort(vs)
	for _, v := range vs {
		fmt.Println(v)
	}
}

// Impressions and clicks of the same ad in the same minute pair up.
func ExampleWindow() {
	p := stream.New()
	imps := from(p, []Impression{{"ad1", at(0)}, {"ad2", at(0)}, {"ad1", at(1)}}, func(i Impression) time.Time { return i.At })
	clicks := from(p, []Click{{"ad1", at(0)}, {"ad1", at(1)}, {"ad2", at(2)}}, func(c Click) time.Time { return c.At })
	pairs := join.Window(
		stream.KeyBy(imps, func(i Impression) string { return i.Ad }),
		stream.KeyBy(clicks, func(c Click) string { return c.Ad }),
		join.Tumbling(time.Minute),
		func(i Impression, c Click) string {
			return fmt.Sprintf("%s impression %s click %s", i.Ad, i.At.Format("15:04"), c.At.Format("15:04"))
		})
	out := sink.Collect[string]()
	stream.To(pairs, out)
	printSorted(p, out)
	// Output:
	// ad1 impression 12:00 click 12:00
	// ad1 impression 12:01 click 12:01
}

// A full outer window join: impressions without a click and clicks without
// an impression in the same minute are emitted when the minute closes, with
// the missing side absent.
func ExampleWindowOuter() {
	p := stream.New()
	imps := from(p, []Impression{{"ad1", at(0)}, {"ad2", at(0)}}, func(i Impression) time.Time { return i.At })
	clicks := from(p, []Click{{"ad1", at(0)}, {"ad2", at(2)}}, func(c Click) time.Time { return c.At })
	rows := join.WindowOuter(
		stream.KeyBy(imps, func(i Impression) string { return i.Ad }),
		stream.KeyBy(clicks, func(c Click) string { return c.Ad }),
		join.Tumbling(time.Minute), join.FullOuter,
		func(i join.Opt[Impression], c join.Opt[Click]) string {
			switch {
			case !c.Ok:
				return i.Value.Ad + " impression without click at " + i.Value.At.Format("15:04")
			case !i.Ok:
				return c.Value.Ad + " click without impression at " + c.Value.At.Format("15:04")
			}
			return i.Value.Ad + " clicked at " + c.Value.At.Format("15:04")
		})
	out := sink.Collect[string]()
	stream.To(rows, out)
	printSorted(p, out)
	// Output:
	// ad1 clicked at 12:00
	// ad2 click without impression at 12:02
	// ad2 impression without click at 12:00
}

type Order struct {
	ID string
	At time.Time
}

type Payment struct {
	Order string
	At    time.Time
}

// Payments made within 10 minutes after their order; pairs are emitted as
// soon as the payment arrives.
func ExampleInterval() {
	p := stream.New()
	orders := from(p, []Order{{"o1", at(0)}, {"o2", at(5)}}, func(o Order) time.Time { return o.At })
	pays := from(p, []Payment{{"o1", at(3)}, {"o2", at(30)}}, func(x Payment) time.Time { return x.At })
	paid := join.Interval(
		stream.KeyBy(orders, func(o Order) string { return o.ID }),
		stream.KeyBy(pays, func(x Payment) string { return x.Order }),
		0, 10*time.Minute,
		func(o Order, x Payment) string { return fmt.Sprintf("%s paid after %v", o.ID, x.At.Sub(o.At)) })
	out := sink.Collect[string]()
	stream.To(paid, out)
	printSorted(p, out)
	// Output:
	// o1 paid after 3m0s
}

// Payments that arrive after the watermark has passed them cannot be
// matched reliably any more (their order may have been evicted):
// IntervalLate hands them to a stream of their own, here to be checked by
// hand, instead of only counting them. Which elements are late depends on
// how the two inputs' watermarks progress, so both inputs here are split
// from one scripted source: the join then sees elements and watermarks in
// the scripted order, and o2's payment comes after the watermark 12:20.
func ExampleIntervalLate() {
	type event struct {
		order *Order
		pay   *Payment
	}
	p := stream.New()
	script := streamtest.NewScript[event]().
		Add(event{order: &Order{"o1", at(0)}}, at(0).UnixNano()).
		Add(event{pay: &Payment{"o1", at(3)}}, at(3).UnixNano()).
		Add(event{order: &Order{"o2", at(5)}}, at(5).UnixNano()).
		Watermark(at(20).UnixNano()).
		Add(event{pay: &Payment{"o2", at(12)}}, at(12).UnixNano())
	all := streamtest.From(p, script)
	orders := stream.Map(stream.Filter(all, func(e event) bool { return e.order != nil }), func(e event) Order { return *e.order })
	pays := stream.Map(stream.Filter(all, func(e event) bool { return e.pay != nil }), func(e event) Payment { return *e.pay })
	paid, _, latePays := join.IntervalLate(
		stream.KeyBy(orders, func(o Order) string { return o.ID }),
		stream.KeyBy(pays, func(x Payment) string { return x.Order }),
		0, 10*time.Minute,
		func(o Order, x Payment) string { return o.ID + " paid" })
	ok, late := sink.Collect[string](), sink.Collect[Payment]()
	stream.To(paid, ok)
	stream.To(latePays, late)
	if err := p.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, s := range ok.Values() {
		fmt.Println(s)
	}
	for _, x := range late.Values() {
		fmt.Printf("late payment for %s at %s: check it by hand\n", x.Order, x.At.Format("15:04"))
	}
	// Output:
	// o1 paid
	// late payment for o2 at 12:12: check it by hand
}

// A left outer interval join finds the orders not paid within 10 minutes:
// each is emitted once, when the watermark passes its deadline.
func ExampleIntervalLeft() {
	p := stream.New()
	orders := from(p, []Order{{"o1", at(0)}, {"o2", at(5)}}, func(o Order) time.Time { return o.At })
	pays := from(p, []Payment{{"o1", at(3)}, {"o2", at(30)}}, func(x Payment) time.Time { return x.At })
	status := join.IntervalLeft(
		stream.KeyBy(orders, func(o Order) string { return o.ID }),
		stream.KeyBy(pays, func(x Payment) string { return x.Order }),
		0, 10*time.Minute,
		func(o Order, x join.Opt[Payment]) string {
			if !x.Ok {
				return o.ID + " unpaid"
			}
			return o.ID + " paid"
		})
	out := sink.Collect[string]()
	stream.To(status, out)
	printSorted(p, out)
	// Output:
	// o1 paid
	// o2 unpaid
}

type Campaign struct {
	Ad, Name string
	At       time.Time
}

// changelog turns campaign records into table changes: an empty name
// deletes the ad.
func changelog(p *stream.Pipeline, cs []Campaign) stream.Stream[join.Change[string, string]] {
	s := from(p, cs, func(c Campaign) time.Time { return c.At })
	return stream.Map(s, func(c Campaign) join.Change[string, string] {
		if c.Name == "" {
			return join.Delete[string, string](c.Ad)
		}
		return join.Upsert(c.Ad, c.Name)
	})
}

// Clicks enriched with their ad's campaign. The table is loaded from its
// changelog up to 12:01 before any click is looked up (AwaitBootstrap);
// clicks on unknown ads are dropped (an inner join).
func ExampleEnrich() {
	p := stream.New()
	table := join.Table(changelog(p, []Campaign{{"ad1", "spring", at(0)}, {"ad2", "launch", at(0)}}),
		join.AwaitBootstrap(at(1)))
	clicks := from(p, []Click{{"ad1", at(1)}, {"ad2", at(2)}, {"ad9", at(3)}}, func(c Click) time.Time { return c.At })
	enriched := join.Enrich(stream.KeyBy(clicks, func(c Click) string { return c.Ad }), table,
		func(c Click, campaign string) string { return c.Ad + " " + campaign })
	out := sink.Collect[string]()
	stream.To(enriched, out)
	printSorted(p, out)
	// Output:
	// ad1 spring
	// ad2 launch
}

// A temporal (versioned) left join: each click sees its ad's campaign as of
// the click's time, waiting for the table's watermark to pass it. A click on
// an ad without a campaign at that time is emitted with the campaign absent.
func ExampleEnrichLeft() {
	p := stream.New()
	table := join.Table(changelog(p, []Campaign{
		{"ad1", "spring", at(0)},
		{"ad1", "summer", at(10)},
		{"ad1", "", at(20)}, // campaign ended: tombstone
	}), join.Versioned(time.Hour), join.AwaitWatermark())
	clicks := from(p, []Click{{"ad1", at(5)}, {"ad1", at(15)}, {"ad1", at(25)}}, func(c Click) time.Time { return c.At })
	enriched := join.EnrichLeft(stream.KeyBy(clicks, func(c Click) string { return c.Ad }), table,
		func(c Click, campaign join.Opt[string]) string {
			return c.At.Format("15:04") + " " + campaign.Or("(none)")
		})
	out := sink.Collect[string]()
	stream.To(enriched, out)
	printSorted(p, out)
	// Output:
	// 12:05 spring
	// 12:15 summer
	// 12:25 (none)
}
