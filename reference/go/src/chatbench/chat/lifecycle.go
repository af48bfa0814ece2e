package chat

import (
	"time"

	"github.com/gorilla/websocket"
)

// Start runs the keepalive until Shutdown.
func (h *Hub) Start() {
	h.stopKeepalive = make(chan struct{})
	go h.keepalive(h.stopKeepalive)
}

// Shutdown refuses new connections, sends close 1001 to every client after what was queued for
// it, waits up to the grace period for the close handshakes, then cuts what is left and waits
// until every connection is forgotten.
func (h *Hub) Shutdown(grace time.Duration) {
	h.mu.Lock()
	h.closing = true
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	if h.stopKeepalive != nil {
		close(h.stopKeepalive)
	}
	for _, c := range conns {
		// refused when the connection is closing already: it is cut at the deadline if still open
		c.out.control(item{kind: itemClose, code: websocket.CloseGoingAway, text: "server shutting down"})
	}
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for _, c := range conns {
		select {
		case <-c.done:
			continue
		case <-deadline.C:
		}
		break
	}
	for _, c := range conns {
		c.cut()
	}
	for _, c := range conns {
		<-c.done
	}
}
