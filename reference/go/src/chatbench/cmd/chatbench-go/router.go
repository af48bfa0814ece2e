package main

import (
	"io"
	"net/http"

	"chatbench/chat"
	"chatbench/limiter"
)

// drainLimit bounds how much of an unread request body is read after the answer (1 MiB, the
// decision API's body limit).
const drainLimit = 1 << 20

// router routes by the raw request-target's exact path, as Profile B's handleHttp does
// (http.ServeMux would clean and redirect paths): upgrades to the chat, then the limiter's routes,
// /health, /stats, /metrics, and a JSON 404 for anything else.
type router struct {
	hub *chat.Hub
	svc *limiter.Service
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if chat.IsUpgrade(r) {
		rt.hub.ServeUpgrade(w, r)
		return
	}
	// The body no route reads is read after the answer, as Node's server does (and up to the
	// decision API's limit): closing a connection with the body unread would reset it, and the
	// client could lose the answer before reading it (the differential fuzzer saw ECONNRESET).
	defer io.Copy(io.Discard, io.LimitReader(r.Body, drainLimit))
	path := chat.RoutePath(r.RequestURI)
	get := r.Method == http.MethodGet
	head := r.Method == http.MethodHead
	switch {
	case path == "/health" && (get || head):
		sendJSON(w, http.StatusOK, chat.HealthBody)
	case path == "/stats" && (get || head):
		sendJSON(w, http.StatusOK, rt.hub.StatsJSON())
	case path == "/metrics" && get:
		rt.metrics(w)
	case rt.svc.Handle(w, r, path):
	default:
		sendJSON(w, http.StatusNotFound, chat.NotFoundBody(r.Method, path))
	}
}

func (rt *router) metrics(w http.ResponseWriter) {
	var buf metricsBuffer
	rt.hub.WriteMetrics(&buf)
	rt.svc.WriteMetrics(&buf)
	h := w.Header()
	h.Set("Content-Type", chat.MetricsContentType)
	h.Set("Content-Length", chat.ContentLength(buf))
	w.WriteHeader(http.StatusOK)
	w.Write(buf)
}

type metricsBuffer []byte

func (b *metricsBuffer) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}

func sendJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", chat.JSONContentType)
	h.Set("Content-Length", chat.ContentLength(body))
	w.WriteHeader(status)
	w.Write(body)
}
