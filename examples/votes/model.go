package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Vote is one vote as it travels on the input topic, as JSON.
type Vote struct {
	Poll   string    `json:"poll"`
	Option string    `json:"option"`
	Voter  string    `json:"voter"`
	At     time.Time `json:"at"`
}

// Catalog lists each poll's options; a vote for anything else is invalid.
type Catalog map[string][]string

// newCatalog makes polls poll-000 … with 2 to 6 options each (a, b, c, ...).
func newCatalog(polls int) Catalog {
	c := make(Catalog, polls)
	for i := range polls {
		opts := make([]string, 2+i%5)
		for j := range opts {
			opts[j] = string(rune('a' + j))
		}
		c[pollName(i)] = opts
	}
	return c
}

func pollName(i int) string { return fmt.Sprintf("poll-%03d", i) }

var (
	errUnknownPoll   = errors.New("unknown poll")
	errUnknownOption = errors.New("unknown option")
	errNoVoter       = errors.New("no voter")
	errNoTime        = errors.New("no time")
)

// Validate returns v if it is a vote for a known option of a known poll by a
// named voter at a known time, else an error saying what is wrong.
func (c Catalog) Validate(v Vote) (Vote, error) {
	opts, ok := c[v.Poll]
	switch {
	case !ok:
		return v, fmt.Errorf("%w %q", errUnknownPoll, v.Poll)
	case !slices.Contains(opts, v.Option):
		return v, fmt.Errorf("%w %q for %s", errUnknownOption, v.Option, v.Poll)
	case v.Voter == "":
		return v, errNoVoter
	case v.At.IsZero():
		return v, errNoTime
	}
	return v, nil
}

// decodeVote decodes a record's value; undecodable records become dead
// letters at the source.
func decodeVote(r *kgo.Record) (Vote, error) {
	var v Vote
	if err := json.Unmarshal(r.Value, &v); err != nil {
		return v, fmt.Errorf("decode vote: %w", err)
	}
	return v, nil
}

// pollVoter is the key under which a voter may vote once per poll.
type pollVoter struct{ Poll, Voter string }

// pollOption is the key of per-option counts.
type pollOption struct{ Poll, Option string }
