package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

const want = `12:00  /         2
12:00  /docs     2
12:01  /pricing  1
12:01  /         2
12:02  /         1
12:02  /docs     1
`

func TestQuickstart(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 20 { // the output is the same in every run
		var out bytes.Buffer
		if err := run(ctx, &out); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != want {
			t.Fatalf("got:\n%s\nwant:\n%s", got, want)
		}
	}
}

func Example() {
	main()
	// Output:
	// 12:00  /         2
	// 12:00  /docs     2
	// 12:01  /pricing  1
	// 12:01  /         2
	// 12:02  /         1
	// 12:02  /docs     1
}
