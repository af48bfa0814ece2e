package chat

import "sync"

type itemKind uint8

const (
	itemText  itemKind = iota // a text frame
	itemPing                  // a keepalive ping control frame
	itemClose                 // a close frame; the connection then waits for the peer's
	itemEcho                  // a close frame answering the peer's; the TCP connection is then closed
)

type item struct {
	kind itemKind
	data []byte
	code int
	text string
}

// outbox is a connection's unsent output: appended to by any goroutine without blocking, drained
// by the connection's writer goroutine alone. pending counts the bytes appended and not yet
// accepted by the socket (the contract's "unsent output").
type outbox struct {
	mu      sync.Mutex
	cond    sync.Cond // signalled when items arrive, when pending falls, when the box closes
	queue   []item
	spare   []item
	pending int
	// closed: nothing more is accepted (a close frame was queued, or the connection was cut)
	closed bool
	// dead: the connection was cut; the writer stops at once
	dead bool
}

func (o *outbox) init() { o.cond.L = &o.mu }

// push appends a text frame. It reports false when the frame would take the unsent output over
// max: the caller then cuts the connection (slow consumer).
func (o *outbox) push(data []byte, max int) bool {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return true
	}
	if o.pending+len(data) > max {
		o.mu.Unlock()
		return false
	}
	o.queue = append(o.queue, item{kind: itemText, data: data})
	o.pending += len(data)
	if len(o.queue) == 1 {
		o.cond.Broadcast()
	}
	o.mu.Unlock()
	return true
}

// control appends a ping or a close; a close is the last item the outbox takes.
func (o *outbox) control(it item) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false
	}
	if it.kind == itemClose || it.kind == itemEcho {
		o.closed = true
	}
	o.queue = append(o.queue, it)
	o.cond.Broadcast()
	return true
}

// take waits for items and returns them all; ok is false once the connection is dead.
func (o *outbox) take() ([]item, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for len(o.queue) == 0 && !o.dead {
		o.cond.Wait()
	}
	if o.dead {
		return nil, false
	}
	batch := o.queue
	o.queue = o.spare[:0]
	o.spare = nil
	return batch, true
}

// written records that n bytes left; batch is handed back for reuse once all of it was written.
func (o *outbox) written(n int, half int) {
	o.mu.Lock()
	before := o.pending
	o.pending -= n
	if before > half && o.pending <= half {
		o.cond.Broadcast()
	}
	o.mu.Unlock()
}

func (o *outbox) recycle(batch []item) {
	for i := range batch {
		batch[i] = item{}
	}
	o.mu.Lock()
	if o.spare == nil {
		o.spare = batch[:0]
	}
	o.mu.Unlock()
}

// kill marks the connection cut: nothing more is accepted or written. It reports whether it was
// alive until now.
func (o *outbox) kill() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dead {
		return false
	}
	o.dead, o.closed = true, true
	o.queue = nil
	o.pending = 0
	o.cond.Broadcast()
	return true
}

// waitBelow blocks while the unsent output is above half (flow control); false once dead.
func (o *outbox) waitBelow(half int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.pending > half && !o.dead {
		o.cond.Wait()
	}
	return !o.dead
}
