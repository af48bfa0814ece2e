package limiter

import (
	"chatbench/jsvalue"

	"fmt"
	"io"
	"sync"
)

// roundTripBuckets are Profile A's and B's bounds (seconds) of limiter_redis_command_seconds,
// written as JavaScript writes them.
var roundTripBuckets = []struct {
	bound float64
	text  string
}{
	{0.0001, "0.0001"}, {0.00025, "0.00025"}, {0.0005, "0.0005"}, {0.001, "0.001"}, {0.0025, "0.0025"},
	{0.005, "0.005"}, {0.01, "0.01"}, {0.025, "0.025"}, {0.05, "0.05"}, {0.1, "0.1"}, {0.25, "0.25"},
}

// histogram is baseline-metrics.ts RoundTripHistogram.
type histogram struct {
	mu     sync.Mutex
	counts [11]uint64
	sum    float64
	count  uint64
}

func newHistogram() *histogram { return &histogram{} }

func (h *histogram) observe(seconds float64) {
	h.mu.Lock()
	for i, b := range roundTripBuckets {
		if seconds <= b.bound {
			h.counts[i]++
			break
		}
	}
	h.sum += seconds
	h.count++
	h.mu.Unlock()
}

func (h *histogram) writeTo(w io.Writer, name, help string) {
	h.mu.Lock()
	counts, sum, count := h.counts, h.sum, h.count
	h.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cumulative uint64
	for i, b := range roundTripBuckets {
		cumulative += counts[i]
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", name, b.text, cumulative)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", name, count, name, jsvalue.FormatNumber(sum), name, count)
}
