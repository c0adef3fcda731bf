package source_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirhq/weir/internal/kafkatest"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

// failCommits makes the cluster refuse the next n offset commits (every one
// if n < 0) with a non-retriable error on each partition.
func failCommits(c *kafkatest.Cluster, n int) {
	var refused atomic.Int64
	c.ControlKey(int16(kmsg.OffsetCommit), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if n >= 0 && refused.Load() >= int64(n) {
			return nil, nil, false
		}
		refused.Add(1)
		req := kr.(*kmsg.OffsetCommitRequest)
		resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewOffsetCommitResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetCommitResponseTopicPartition()
				rp.Partition = p.Partition
				rp.ErrorCode = kerr.TopicAuthorizationFailed.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
}

func committedOffsets(t *testing.T, c *kafkatest.Cluster, group string) int {
	t.Helper()
	n := 0
	for _, ps := range c.Committed(t, group) {
		n += len(ps)
	}
	return n
}

// TestKafkaCommitErrors: failed commits are reported to KafkaOnCommitError
// and counted; if the final commit fails, Run fails saying so; if only
// an earlier one fails, later commits catch up and Run succeeds.
func TestKafkaCommitErrors(t *testing.T) {
	t.Run("all fail", func(t *testing.T) {
		c := kafkatest.New(t, 2, "in", "out")
		recs, _ := genVotes(5_000, 20, 10*time.Minute, 0, 7)
		c.Produce(t, recs)
		failCommits(c, -1)
		var reported atomic.Int64
		src := kafkaSource(t, c, "g-commit-fail", source.KafkaStopAtEnd(),
			source.KafkaOnCommitError(func(err error) {
				if !strings.Contains(err.Error(), "TOPIC_AUTHORIZATION_FAILED") {
					t.Errorf("commit error %v, want the broker's", err)
				}
				reported.Add(1)
			}))
		p := countPipeline(c, src, "out", stream.WithCheckpointInterval(20*time.Millisecond))
		err := runFor(t, p, time.Minute)
		t.Logf("Run: %v", err)
		if err == nil || !strings.Contains(err.Error(), "final offset commit") {
			t.Fatalf("Run: %v, want the final commit's failure", err)
		}
		if src.CommitErrors() == 0 || reported.Load() != int64(src.CommitErrors()) {
			t.Errorf("CommitErrors %d, reported %d: want equal and > 0", src.CommitErrors(), reported.Load())
		}
		if n := committedOffsets(t, c, "g-commit-fail"); n != 0 {
			t.Errorf("%d partitions have committed offsets, want none", n)
		}
	})
	t.Run("some fail", func(t *testing.T) {
		c := kafkatest.New(t, 2, "in", "out")
		recs, _ := genVotes(5_000, 20, 10*time.Minute, 0, 7)
		c.Produce(t, recs)
		// The first refused: a periodic checkpoint's commit, or else the
		// final checkpoint's, which leaving the group then makes again.
		failCommits(c, 1)
		src := kafkaSource(t, c, "g-commit-some", source.KafkaStopAtEnd())
		p := countPipeline(c, src, "out", stream.WithCheckpointInterval(20*time.Millisecond))
		if err := runFor(t, p, time.Minute); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if src.CommitErrors() == 0 {
			t.Errorf("CommitErrors 0, want the refused commits counted")
		}
		if n := committedOffsets(t, c, "g-commit-some"); n != 2 {
			t.Errorf("%d partitions have committed offsets, want 2", n)
		}
	})
}
