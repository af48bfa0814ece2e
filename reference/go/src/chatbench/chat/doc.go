// Package chat is the WebSocket chat of docs/CONTRACT.md, Profile B's behaviour in Go.
//
// Goroutines: each connection has one reader goroutine and one writer goroutine. The reader
// handles its connection's frames one after another (decode, validate, charge the token bucket,
// act), which gives the contract's per-sender order for free. Room state (rooms, members, seq,
// each connection's rooms and user) lives in one Hub guarded by one mutex: a room event is
// decided and its frame, serialised once, is appended to every member's outbox while the mutex
// is held, so every member sees a room's events in one order. Appending never blocks: an outbox
// is a queue of byte slices with a byte count, drained by the connection's writer goroutine, the
// only goroutine that writes data and close frames to the socket (so a close always follows the
// answers queued before it). A connection whose queued, unwritten bytes would pass
// MAX_BUFFERED_BYTES is cut (TCP closed, no close frame); while they are above half of it, its
// reader stops reading (flow control). One keepalive goroutine pings and cuts silent
// connections. Nothing is logged per message.
//
// HTTP is net/http's server; routing is exact, on the raw request-target (paths.go), for
// http.ServeMux would clean and redirect paths.
package chat
