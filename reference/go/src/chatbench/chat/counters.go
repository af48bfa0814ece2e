package chat

import "sync/atomic"

// counters are the chat's traffic counters of /metrics (Profile B's ChatCounters), plain atomic
// integers read at scrape time.
type counters struct {
	framesIn     [6]atomic.Int64 // by msgType, typeRejected included
	framesOut    [5]atomic.Int64 // by outType
	deliveries   atomic.Int64
	rateLimited  atomic.Int64
	slowDropped  atomic.Int64
	deadConnsCut atomic.Int64
}

type outType uint8

const (
	outJoin outType = iota
	outChat
	outLeave
	outPong
	outError
)

var outTypeNames = [...]string{"join", "chat", "leave", "pong", "error"}

// delivered counts a broadcast of t to n members.
func (c *counters) delivered(t outType, n int) {
	c.framesOut[t].Add(int64(n))
	c.deliveries.Add(int64(n))
}
