// Command chatbench-go is the Go server of the benchmark: the chat of docs/CONTRACT.md and the
// decision API of docs/LIMITER.md on one HTTP port, behaving as Profile B (src/baseline).
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"chatbench/chat"
	"chatbench/limiter"
)

// exitDeadline: after SIGTERM/SIGINT the process is gone within 10 s (exit 1 if shutdown hangs).
const exitDeadline = 10 * time.Second

func main() {
	settings, err := chat.LoadSettings(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	svc, err := limiter.NewServiceFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// before the port opens: a signal from then on is a graceful shutdown
	// (and, as Node, a write to a closed pipe is an error, not the end of the process)
	signal.Ignore(syscall.SIGPIPE)
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	hub := chat.NewHub(settings)
	ln, err := net.Listen("tcp", net.JoinHostPort(settings.Host, strconv.Itoa(settings.Port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{
		Handler: &router{hub: hub, svc: svc},
		// Node's defaults: a request's headers within 60 s, an idle keep-alive connection 5 s
		ReadHeaderTimeout: 60 * time.Second,
		IdleTimeout:       5 * time.Second,
	}
	hub.Start()
	go srv.Serve(ln)
	addr := ln.Addr().(*net.TCPAddr)
	logLine("info", "listening", map[string]interface{}{"host": settings.Host, "port": addr.Port, "path": chat.WSPath})

	<-signals
	time.AfterFunc(exitDeadline, func() { os.Exit(1) })
	logLine("info", "shutting down", map[string]interface{}{"connections": hub.Connections()})
	ln.Close()                      // a new TCP connection is refused from now on
	srv.SetKeepAlivesEnabled(false) // idle keep-alive connections close; busy ones after their answer
	hub.Shutdown(time.Duration(settings.ShutdownGraceMs) * time.Millisecond)
	svc.Close()
	srv.Close()
	os.Exit(0)
}

// logLine writes one JSON log line on stdout, as Profile B does (nothing per message).
func logLine(level, msg string, fields map[string]interface{}) {
	line := map[string]interface{}{"time": time.Now().UnixMilli(), "level": level, "profile": "go", "msg": msg}
	for k, v := range fields {
		line[k] = v
	}
	b, _ := json.Marshal(line)
	os.Stdout.Write(append(b, '\n'))
}
