package source_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

func ExampleSlice() {
	p := stream.New()
	words := stream.From(p, source.Slice([]string{"to", "be", "or", "not"}))
	sink.To(stream.Map(words, strings.ToUpper), sink.Lines[string](os.Stdout))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// TO
	// BE
	// OR
	// NOT
}

func ExampleSeq() {
	squares := func(yield func(int) bool) {
		for i := 1; i <= 4; i++ {
			if !yield(i * i) {
				return
			}
		}
	}
	p := stream.New()
	c := sink.Collect[int]()
	sink.To(stream.From(p, source.Seq(squares)), c)
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println(c.Values())
	// Output: [1 4 9 16]
}

func ExampleChan() {
	ch := make(chan string)
	go func() {
		defer close(ch) // closing the channel ends the stream
		for _, s := range []string{"a", "b", "c"} {
			ch <- s
		}
	}()
	p := stream.New()
	c := sink.Collect[string]()
	sink.To(stream.From(p, source.Chan(ch)), c)
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println(c.Values())
	// Output: [a b c]
}

func ExampleGenerator() {
	type reading struct {
		Sensor int
		Temp   float64
	}
	// Five readings one second apart in event time, the same in every run.
	gen := source.Generator(func(i int64, rng *rand.Rand) reading {
		return reading{Sensor: rng.IntN(3), Temp: 20 + float64(rng.IntN(100))/10}
	}, source.Count(5), source.Seed(7), source.EventTimes(time.Unix(0, 0), time.Second))

	p := stream.New()
	sink.To(stream.From(p, gen), sink.EventFunc(func(e stream.Event[reading]) error {
		fmt.Printf("%s sensor %d: %.1f°C\n", stream.ToTime(e.Time).Format(time.TimeOnly), e.Value.Sensor, e.Value.Temp)
		return nil
	}))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 00:00:00 sensor 1: 22.6°C
	// 00:00:01 sensor 1: 26.9°C
	// 00:00:02 sensor 2: 28.0°C
	// 00:00:03 sensor 1: 24.0°C
	// 00:00:04 sensor 2: 26.2°C
}

func ExampleLines() {
	in := strings.NewReader("first line\r\nsecond line\n\nlast line without newline")
	p := stream.New()
	c := sink.Collect[string]()
	sink.To(stream.From(p, source.Lines(in)), c)
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%q\n", c.Values())
	// Output: ["first line" "second line" "" "last line without newline"]
}

func ExampleJSON() {
	type click struct {
		User string    `json:"user"`
		At   time.Time `json:"at"`
	}
	in := strings.NewReader(`{"user":"ann","at":"2024-05-01T10:00:00Z"}
{"user":"bob","at":"2024-05-01T10:00:02Z"}
not json
{"user":"cid","at":"2024-05-01T10:00:01Z"}
`)
	p := stream.New()
	clicks := stream.From(p, source.JSON[click](in),
		stream.Name("clicks"),
		stream.EventTime(func(c click) time.Time { return c.At }),
		stream.OnError(stream.SkipOnError)) // count bad lines and go on
	sink.To(clicks, sink.Func(func(c click) error {
		fmt.Println(c.User, c.At.Format(time.TimeOnly))
		return nil
	}))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	m, _ := p.Stage("clicks")
	fmt.Println("skipped:", m.Errors)
	// Output:
	// ann 10:00:00
	// bob 10:00:02
	// cid 10:00:01
	// skipped: 1
}

// Under the default error policy (fail) a bad line stops the pipeline with
// an error naming the stage and the line.
func ExampleJSON_fail() {
	in := strings.NewReader("{\"n\":1}\n{\"n\":2}\n{\"n\":\n")
	p := stream.New()
	sink.To(stream.From(p, source.JSON[map[string]int](in), stream.Name("numbers")), sink.Discard[map[string]int]())
	fmt.Println(p.Run(context.Background()))
	// Output: stream: stage "numbers": line 3: unexpected end of JSON input
}

func ExampleDecodeLines() {
	// A CSV-like format: name,age; lines starting with # are comments.
	type person struct {
		Name string
		Age  int
	}
	parse := func(line []byte) (person, error) {
		if len(line) > 0 && line[0] == '#' {
			return person{}, source.SkipLine
		}
		var p person
		name, age, ok := strings.Cut(string(line), ",")
		if !ok {
			return p, fmt.Errorf("want name,age, got %q", line)
		}
		p.Name = name
		_, err := fmt.Sscan(age, &p.Age)
		return p, err
	}
	in := strings.NewReader("# name,age\nada,36\ngrace\nalan,41\n")
	p := stream.New(stream.WithErrorPolicy(stream.DeadLetterOnError))
	people := sink.Collect[person]()
	bad := sink.Collect[stream.DeadLetter]()
	sink.To(stream.From(p, source.DecodeLines(in, parse), stream.Name("people")), people)
	sink.To(p.DeadLetters(), bad)
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println(people.Values())
	for d := range bad.All() {
		fmt.Printf("%s: %q: %v\n", d.Stage, d.Raw, d.Err)
	}
	// Output:
	// [{ada 36} {alan 41}]
	// people: "grace": line 3: want name,age, got "grace"
}
