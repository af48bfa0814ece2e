package chat

import (
	"bytes"
	"io"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// closeTimeout: how long a connection that was sent a close frame has to answer it.
const closeTimeout = 30 * time.Second

// readLoop is the connection's reader goroutine: it handles the client's frames one after
// another, then forgets the connection.
func (c *Conn) readLoop() {
	defer c.hub.forget(c)
	ws := c.ws
	ws.SetPingHandler(func(string) error {
		c.alive.Store(true)
		// the pong goes out at once (gorilla writes it under its own write lock)
		err := ws.WriteControl(websocket.PongMessage, nil, time.Now().Add(controlWait))
		if err == websocket.ErrCloseSent {
			return nil
		}
		if ne, ok := err.(interface{ Temporary() bool }); ok && ne.Temporary() {
			return nil
		}
		return err
	})
	ws.SetPongHandler(func(string) error {
		c.alive.Store(true)
		return nil
	})
	ws.SetCloseHandler(func(code int, text string) error {
		c.alive.Store(true)
		// answered after every frame queued before it, as `ws` does; nothing if we closed first
		c.echoQueued = c.out.control(item{kind: itemEcho, code: code, text: text})
		return nil
	})
	max := c.hub.cfg.MaxFrameBytes
	half := c.hub.cfg.MaxBufferedBytes / 2
	var buf bytes.Buffer
	for {
		if !c.out.waitBelow(half) {
			return
		}
		mt, r, err := ws.NextReader()
		if err != nil {
			return
		}
		c.alive.Store(true)
		buf.Reset()
		n, err := buf.ReadFrom(io.LimitReader(r, int64(max)+1))
		if err != nil {
			return
		}
		if n > int64(max) {
			c.fatal(websocket.CloseMessageTooBig)
			return
		}
		data := buf.Bytes()
		if mt == websocket.TextMessage && !utf8.Valid(data) {
			c.fatal(websocket.CloseInvalidFramePayloadData)
			return
		}
		c.hub.handleFrame(c, data, mt == websocket.BinaryMessage)
	}
}

// fatal closes the connection with code after the answers to every frame read before, and waits
// (bounded) for the client's close frame.
func (c *Conn) fatal(code int) {
	c.closeWith(code, "")
	c.awaitPeerClose(time.Now().Add(closeTimeout))
}

// awaitPeerClose discards whatever the client still sends until its close frame, the end of the
// connection or the deadline.
func (c *Conn) awaitPeerClose(deadline time.Time) {
	c.ws.SetReadDeadline(deadline)
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			return
		}
	}
}
