/**
 * Profile B's `GET /metrics`: the chat's counters and the process's own figures in the
 * Prometheus text format, under the names and types Profile A's /metrics uses (prom-client's
 * defaults for the process), so one dashboard shows both. The baseline loads no metrics library:
 * this is a handful of counters and gauges, rendered at scrape time from the plain integers the
 * shared core and B's handler keep. Of the limiter, B publishes what the harness and an operator
 * need to see Redis' share of a decision: the round trip of each Redis decision, as A's histogram
 * `limiter_redis_command_seconds` with the same buckets. B has no decision counts or breaker state.
 */
import type { ConnectionRegistry } from '../core/chat/connection-registry.js';
import type { ChatCounters } from '../core/chat/chat-counters.js';
import type { Rooms } from '../core/chat/rooms.js';
import { ROUND_TRIP_BUCKETS_SECONDS } from '../core/limiter/redis/redis-limiter.store.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const START_TIME_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

type Family = readonly [
  name: string,
  type: 'counter' | 'gauge',
  help: string,
  samples: readonly (readonly [labels: string, value: number])[],
];

const one = (value: number) => [['', value]] as const;
const byType = (values: Record<string, number>) =>
  Object.entries(values).map(([type, value]) => [`{type="${type}"}`, value] as const);

/** The Redis round trip of each limiter decision, in A's buckets (seconds); rendered by renderMetrics. */
export class RoundTripHistogram {
  /** Observations at or below each bucket's bound (not cumulative: rendering adds them up). */
  private readonly counts = new Array<number>(ROUND_TRIP_BUCKETS_SECONDS.length).fill(0);
  private sum = 0;
  private count = 0;

  observe(seconds: number): void {
    const i = ROUND_TRIP_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
    if (i >= 0) this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }

  render(name: string, help: string): string {
    let text = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`;
    let cumulative = 0;
    ROUND_TRIP_BUCKETS_SECONDS.forEach((bound, i) => {
      cumulative += this.counts[i] as number;
      text += `${name}_bucket{le="${bound}"} ${cumulative}\n`;
    });
    return `${text}${name}_bucket{le="+Inf"} ${this.count}\n${name}_sum ${this.sum}\n${name}_count ${this.count}\n`;
  }
}

export function renderMetrics(
  connections: ConnectionRegistry,
  rooms: Rooms,
  counters: ChatCounters,
  redisRoundTrips: RoundTripHistogram,
): string {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const families: Family[] = [
    ['process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', one(cpu.user / 1e6)],
    ['process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.', one(cpu.system / 1e6)],
    [
      'process_cpu_seconds_total',
      'counter',
      'Total user and system CPU time spent in seconds.',
      one((cpu.user + cpu.system) / 1e6),
    ],
    [
      'process_start_time_seconds',
      'gauge',
      'Start time of the process since unix epoch in seconds.',
      one(START_TIME_SECONDS),
    ],
    ['process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', one(memory.rss)],
    ['nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', one(memory.heapTotal)],
    ['nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', one(memory.heapUsed)],
    ['chat_connections', 'gauge', 'Open WebSocket connections.', one(connections.size)],
    ['chat_rooms', 'gauge', 'Rooms with members.', one(rooms.size)],
    [
      'chat_frames_in_total',
      'counter',
      'Client frames by type (rejected: failed before the type was known).',
      byType(counters.framesIn),
    ],
    ['chat_frames_out_total', 'counter', 'Server frames by type, each recipient counted.', byType(counters.framesOut)],
    [
      'chat_fanout_deliveries_total',
      'counter',
      'Frames delivered to room members by join, chat and leave broadcasts.',
      one(counters.deliveries),
    ],
    ['chat_rate_limited_total', 'counter', 'Client frames refused with rate_limited.', one(counters.rateLimited)],
    [
      'chat_slow_consumers_dropped_total',
      'counter',
      'Connections cut because their unsent output passed the bound.',
      one(connections.slowConsumersDropped),
    ],
    [
      'chat_dead_connections_cut_total',
      'counter',
      'Connections cut by the keepalive sweep.',
      one(connections.deadConnectionsCut),
    ],
  ];
  let text = '';
  for (const [name, type, help, samples] of families) {
    text += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    for (const [labels, value] of samples) text += `${name}${labels} ${value}\n`;
  }
  return (
    text +
    redisRoundTrips.render(
      'limiter_redis_command_seconds',
      'Round trip of one limiter decision in Redis (the Lua script), successful ones.',
    )
  );
}
