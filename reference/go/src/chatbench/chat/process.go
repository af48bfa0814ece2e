package chat

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processFigures are the process's own figures of /stats and /metrics.
type processFigures struct {
	rssBytes, heapUsed, heapTotal int64
	cpuUserMicros, cpuSysMicros   int64
}

func readProcess() processFigures {
	var f processFigures
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f.heapUsed, f.heapTotal = int64(ms.HeapAlloc), int64(ms.HeapSys)
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		f.cpuUserMicros = ru.Utime.Sec*1e6 + ru.Utime.Usec
		f.cpuSysMicros = ru.Stime.Sec*1e6 + ru.Stime.Usec
	}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if fields := strings.Fields(string(b)); len(fields) > 1 {
			pages, _ := strconv.ParseInt(fields[1], 10, 64)
			f.rssBytes = pages * int64(os.Getpagesize())
		}
	}
	return f
}

// StatsJSON is the body of GET /stats: exactly the contract's fields, in Profile B's order.
func (h *Hub) StatsJSON() []byte {
	p := readProcess()
	b := make([]byte, 0, 192)
	b = append(b, `{"connections":`...)
	b = strconv.AppendInt(b, int64(h.Connections()), 10)
	b = append(b, `,"rooms":`...)
	b = strconv.AppendInt(b, int64(h.Rooms()), 10)
	b = append(b, `,"rssBytes":`...)
	b = strconv.AppendInt(b, p.rssBytes, 10)
	b = append(b, `,"heapUsedBytes":`...)
	b = strconv.AppendInt(b, p.heapUsed, 10)
	b = append(b, `,"cpuUserMicros":`...)
	b = strconv.AppendInt(b, p.cpuUserMicros, 10)
	b = append(b, `,"cpuSystemMicros":`...)
	b = strconv.AppendInt(b, p.cpuSysMicros, 10)
	b = append(b, `,"uptimeMs":`...)
	b = strconv.AppendInt(b, time.Since(h.started).Round(time.Millisecond).Milliseconds(), 10)
	return append(b, '}')
}
