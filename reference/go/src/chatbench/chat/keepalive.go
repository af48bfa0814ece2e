package chat

import "time"

// keepalive pings every connection each interval and cuts those that sent nothing since the
// previous tick.
func (h *Hub) keepalive(stop <-chan struct{}) {
	ticker := time.NewTicker(time.Duration(h.cfg.KeepaliveIntervalMs) * time.Millisecond)
	defer ticker.Stop()
	var conns []*Conn
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
		}
		h.mu.Lock()
		conns = conns[:0]
		for c := range h.conns {
			conns = append(conns, c)
		}
		h.mu.Unlock()
		for _, c := range conns {
			if !c.alive.Swap(false) {
				if c.cut() {
					h.counters.deadConnsCut.Add(1)
				}
				continue
			}
			c.out.control(item{kind: itemPing})
		}
	}
}
