package chat

import (
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Hub holds the open connections and the rooms of one server. One mutex guards both: room events
// are decided, and their frames queued to every member, under it.
type Hub struct {
	cfg      Settings
	counters counters

	mu      sync.Mutex
	conns   map[*Conn]struct{}
	rooms   map[string]*room
	nextID  uint64
	closing bool
	started time.Time

	stopKeepalive chan struct{}
}

type room struct {
	members []*Conn
	index   map[*Conn]int
	seq     int64
}

// NewHub makes an empty hub.
func NewHub(cfg Settings) *Hub {
	h := &Hub{
		cfg:     cfg,
		conns:   make(map[*Conn]struct{}),
		rooms:   make(map[string]*room),
		started: time.Now(),
	}
	return h
}

// newConn registers a connection; nil while shutting down.
func (h *Hub) newConn(ws *websocket.Conn) *Conn {
	c := &Conn{ws: ws, hub: h, bucket: newBucket(h.cfg.RateLimitCapacity, h.cfg.RateLimitRefillPerSec), done: make(chan struct{})}
	c.out.init()
	c.alive.Store(true)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return nil
	}
	h.nextID++
	c.id = h.nextID
	h.conns[c] = struct{}{}
	return c
}

// forget: a closed connection leaves every room it was in (the remaining members get leave) and
// the registry; its TCP connection ends, at once or once the answer to its close frame is sent.
func (h *Hub) forget(c *Conn) {
	h.mu.Lock()
	for len(c.rooms) > 0 {
		h.remove(c, c.rooms[0])
	}
	delete(h.conns, c)
	h.mu.Unlock()
	if c.echoQueued {
		time.AfterFunc(closeTimeout, func() { c.cut() })
	} else {
		c.cut()
	}
	close(c.done)
}

// Connections is the number of open WebSocket connections.
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Rooms is the number of rooms with members.
func (h *Hub) Rooms() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rooms)
}

// Closing reports whether the shutdown has begun.
func (h *Hub) Closing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closing
}

// deliver queues the same bytes to every member of r (hub.mu held).
func (h *Hub) deliver(r *room, frame []byte, t outType) {
	for _, m := range r.members {
		m.send(frame)
	}
	h.counters.delivered(t, len(r.members))
}

func hasRoom(c *Conn, name string) bool {
	for _, r := range c.rooms {
		if r == name {
			return true
		}
	}
	return false
}

// join: the room rules of docs/CONTRACT.md step 7, then the join frame to every member.
func (h *Hub) join(c *Conn, name, user string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.hasUser && c.user != user {
		return "invalid_message"
	}
	if hasRoom(c, name) {
		return "already_joined"
	}
	if len(c.rooms) >= h.cfg.MaxRoomsPerConnection {
		return "too_many_rooms"
	}
	c.user, c.hasUser = user, true
	c.rooms = append(c.rooms, name)
	r := h.rooms[name]
	if r == nil {
		r = &room{index: make(map[*Conn]int)}
		h.rooms[name] = r
	}
	r.index[c] = len(r.members)
	r.members = append(r.members, c)
	h.deliver(r, joinFrame(name, user, len(r.members)), outJoin)
	return ""
}

func (h *Hub) chat(c *Conn, m *message) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[m.room]
	if r == nil || !hasRoom(c, m.room) {
		return "not_joined"
	}
	r.seq++
	h.deliver(r, chatFrame(m.room, c.user, m, r.seq), outChat)
	return ""
}

func (h *Hub) leave(c *Conn, name string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !hasRoom(c, name) {
		return "not_joined"
	}
	frame := h.remove(c, name)
	c.send(frame)
	h.counters.framesOut[outLeave].Add(1)
	return ""
}

// remove takes c out of the room called name (hub.mu held), tells the remaining members, forgets
// an empty room, and returns the leave frame.
func (h *Hub) remove(c *Conn, name string) []byte {
	for i, r := range c.rooms {
		if r == name {
			c.rooms = append(c.rooms[:i], c.rooms[i+1:]...)
			break
		}
	}
	r := h.rooms[name]
	i := r.index[c]
	last := len(r.members) - 1
	if i != last {
		moved := r.members[last]
		r.members[i] = moved
		r.index[moved] = i
	}
	r.members[last] = nil
	r.members = r.members[:last]
	delete(r.index, c)
	frame := leaveFrame(name, c.user, len(r.members))
	if len(r.members) > 0 {
		h.deliver(r, frame, outLeave)
	} else {
		delete(h.rooms, name)
	}
	return frame
}
