package chat

import (
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// upgradeNotFound is the answer to an upgrade request for any path but /ws, byte for byte as the
// TypeScript profiles send it.
const upgradeNotFound = "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"

var keyPattern = regexp.MustCompile(`^[+/0-9A-Za-z]{22}==$`)

// IsUpgrade reports whether r asks for a protocol upgrade as Node's HTTP parser sees it: an
// Upgrade header and the `upgrade` token in Connection.
func IsUpgrade(r *http.Request) bool {
	if len(r.Header["Upgrade"]) == 0 {
		return false
	}
	for _, v := range r.Header["Connection"] {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:    4096,
	WriteBufferSize:   4096,
	EnableCompression: false,
	CheckOrigin:       func(*http.Request) bool { return true },
}

// ServeUpgrade answers an upgrade request: 404 for any path but exactly /ws, then the handshake's
// checks as `ws` makes them (405, 400), then 503 while shutting down; else the WebSocket opens.
func (h *Hub) ServeUpgrade(w http.ResponseWriter, r *http.Request) {
	if RequestPath(r.RequestURI) != WSPath {
		refuse(w, upgradeNotFound)
		return
	}
	if r.Method != http.MethodGet {
		refuse(w, abortHandshake(405, "Invalid HTTP method", ""))
		return
	}
	if up := r.Header.Get("Upgrade"); strings.ToLower(up) != "websocket" {
		refuse(w, abortHandshake(400, "Invalid Upgrade header", ""))
		return
	}
	if keys := r.Header["Sec-Websocket-Key"]; len(keys) == 0 || !keyPattern.MatchString(strings.Join(keys, ", ")) {
		refuse(w, abortHandshake(400, "Missing or invalid Sec-WebSocket-Key header", ""))
		return
	}
	if v := strings.TrimSpace(strings.Join(r.Header["Sec-Websocket-Version"], ", ")); v != "13" && v != "8" {
		refuse(w, abortHandshake(400, "Missing or invalid Sec-WebSocket-Version header", "Sec-WebSocket-Version: 13, 8\r\n"))
		return
	}
	if h.Closing() {
		refuse(w, abortHandshake(503, "", ""))
		return
	}
	r.Header.Set("Sec-Websocket-Version", "13")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Del("Sec-Websocket-Extensions")
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ws.UnderlyingConn().SetDeadline(time.Time{})
	c := h.newConn(ws)
	if c == nil { // the shutdown began meanwhile
		ws.UnderlyingConn().Close()
		return
	}
	go c.writeLoop()
	go c.readLoop()
}

// abortHandshake is `ws`'s answer to a refused handshake.
func abortHandshake(code int, message, extra string) string {
	status := http.StatusText(code)
	if message == "" {
		message = status
	}
	return "HTTP/1.1 " + strconv.Itoa(code) + " " + status + "\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: " +
		strconv.Itoa(len(message)) + "\r\n" + extra + "\r\n" + message
}

// refuse writes answer on the raw connection and closes it once sent.
func refuse(w http.ResponseWriter, answer string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	conn.Write([]byte(answer))
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	conn.Close()
}
