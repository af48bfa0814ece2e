package chat

import (
	"chatbench/jsvalue"

	"io"
	"math"
)

// MetricsContentType is the content type of GET /metrics.
const MetricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// WriteMetrics writes the chat's families of Profile B's /metrics (src/baseline/baseline-metrics.ts):
// the same names, types, help texts, labels, in the same order; numbers as JavaScript writes them.
func (h *Hub) WriteMetrics(w io.Writer) {
	p := readProcess()
	c := &h.counters
	var b []byte
	family := func(name, typ, help string) {
		b = append(b, "# HELP "+name+" "+help+"\n# TYPE "+name+" "+typ+"\n"...)
	}
	sample := func(name, labels string, v float64) {
		b = append(b, name+labels+" "...)
		b = jsvalue.AppendNumber(b, v)
		b = append(b, '\n')
	}
	one := func(name, typ, help string, v float64) {
		family(name, typ, help)
		sample(name, "", v)
	}
	one("process_cpu_user_seconds_total", "counter", "Total user CPU time spent in seconds.", float64(p.cpuUserMicros)/1e6)
	one("process_cpu_system_seconds_total", "counter", "Total system CPU time spent in seconds.", float64(p.cpuSysMicros)/1e6)
	one("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", float64(p.cpuUserMicros+p.cpuSysMicros)/1e6)
	one("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", math.Round(float64(h.started.UnixMilli())/1000))
	one("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", float64(p.rssBytes))
	one("nodejs_heap_size_total_bytes", "gauge", "Process heap size from Node.js in bytes.", float64(p.heapTotal))
	one("nodejs_heap_size_used_bytes", "gauge", "Process heap size used from Node.js in bytes.", float64(p.heapUsed))
	one("chat_connections", "gauge", "Open WebSocket connections.", float64(h.Connections()))
	one("chat_rooms", "gauge", "Rooms with members.", float64(h.Rooms()))
	family("chat_frames_in_total", "counter", "Client frames by type (rejected: failed before the type was known).")
	for t := range c.framesIn {
		sample("chat_frames_in_total", `{type="`+typeNames[t]+`"}`, float64(c.framesIn[t].Load()))
	}
	family("chat_frames_out_total", "counter", "Server frames by type, each recipient counted.")
	for t := range c.framesOut {
		sample("chat_frames_out_total", `{type="`+outTypeNames[t]+`"}`, float64(c.framesOut[t].Load()))
	}
	one("chat_fanout_deliveries_total", "counter", "Frames delivered to room members by join, chat and leave broadcasts.", float64(c.deliveries.Load()))
	one("chat_rate_limited_total", "counter", "Client frames refused with rate_limited.", float64(c.rateLimited.Load()))
	one("chat_slow_consumers_dropped_total", "counter", "Connections cut because their unsent output passed the bound.", float64(c.slowDropped.Load()))
	one("chat_dead_connections_cut_total", "counter", "Connections cut by the keepalive sweep.", float64(c.deadConnsCut.Load()))
	w.Write(b)
}
