package chat

import (
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Conn is one WebSocket connection.
type Conn struct {
	id  uint64
	ws  *websocket.Conn // nil in tests
	hub *Hub
	out outbox

	// Room state, guarded by hub.mu: the bound user and the rooms, in the order joined.
	user    string
	hasUser bool
	rooms   []string

	// alive is set by any frame or control frame from the client, cleared by each keepalive tick.
	alive atomic.Bool
	// bucket is the per-connection rate limit; the reader goroutine alone uses it.
	bucket bucket
	// echoQueued: the answer to the client's close frame is queued; the writer ends the connection.
	echoQueued bool
	// done is closed once the connection is forgotten (left its rooms, out of the registry).
	done chan struct{}
}

// send queues a frame for this connection; a connection whose unsent output would pass the bound
// is cut as a slow consumer.
func (c *Conn) send(frame []byte) {
	if !c.out.push(frame, c.hub.cfg.MaxBufferedBytes) {
		if c.cut() {
			c.hub.counters.slowDropped.Add(1)
		}
	}
}

// cut terminates the connection: no close frame, the TCP connection is closed. It reports
// whether the connection was not cut before.
func (c *Conn) cut() bool {
	if !c.out.kill() {
		return false
	}
	if c.ws != nil {
		c.ws.UnderlyingConn().Close()
	}
	return true
}

// closeWith queues a close frame after everything queued before it.
func (c *Conn) closeWith(code int, text string) {
	c.out.control(item{kind: itemClose, code: code, text: text})
}

const controlWait = 5 * time.Second

// writeLoop is the connection's writer goroutine: the only one that writes frames.
func (c *Conn) writeLoop() {
	half := c.hub.cfg.MaxBufferedBytes / 2
	for {
		batch, ok := c.out.take()
		if !ok {
			return
		}
		for _, it := range batch {
			var err error
			switch it.kind {
			case itemText:
				err = c.ws.WriteMessage(websocket.TextMessage, it.data)
				c.out.written(len(it.data), half)
			case itemPing:
				err = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(controlWait))
			case itemClose, itemEcho:
				var payload []byte
				if it.code != websocket.CloseNoStatusReceived {
					payload = websocket.FormatCloseMessage(it.code, it.text)
				}
				err = c.ws.WriteControl(websocket.CloseMessage, payload, time.Now().Add(controlWait))
				if it.kind == itemEcho || err != nil {
					c.cut()
					return
				}
			}
			if err != nil {
				c.cut()
				return
			}
		}
		c.out.recycle(batch)
	}
}
