import { Counter, Gauge, type Registry } from 'prom-client';
import type { ChatBus } from '../core/bus/bus-rooms.js';
import type { ChatCounters } from '../core/chat/chat-counters.js';
import type { ConnectionRegistry } from '../core/chat/connection-registry.js';
import type { Rooms } from '../core/chat/rooms.js';

/**
 * The chat's metrics, all read at scrape time from the core's plain counters: the hot path pays
 * an integer increment, never a metrics-library call.
 */
export function registerChatMetrics(
  registry: Registry,
  connections: ConnectionRegistry,
  rooms: Rooms,
  counters: ChatCounters,
): void {
  const registers = [registry];
  new Gauge({
    name: 'chat_connections',
    help: 'Open WebSocket connections.',
    registers,
    collect() {
      this.set(connections.size);
    },
  });
  new Gauge({
    name: 'chat_rooms',
    help: 'Rooms with members.',
    registers,
    collect() {
      this.set(rooms.size);
    },
  });
  const byType = (name: string, help: string, values: Record<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const [type, value] of Object.entries(values)) this.inc({ type }, value);
      },
    });
  byType(
    'chat_frames_in_total',
    'Client frames by type (rejected: failed before the type was known).',
    counters.framesIn,
  );
  byType('chat_frames_out_total', 'Server frames by type, each recipient counted.', counters.framesOut);
  const total = (name: string, help: string, read: () => number) => totalCounter(registry, name, help, read);
  total(
    'chat_fanout_deliveries_total',
    'Frames delivered to room members by join, chat and leave broadcasts.',
    () => counters.deliveries,
  );
  total('chat_rate_limited_total', 'Client frames refused with rate_limited.', () => counters.rateLimited);
  total(
    'chat_slow_consumers_dropped_total',
    'Connections cut because their unsent output passed the bound.',
    () => connections.slowConsumersDropped,
  );
  total(
    'chat_dead_connections_cut_total',
    'Connections cut by the keepalive sweep.',
    () => connections.deadConnectionsCut,
  );
}

/** A counter whose value is read from a plain number at scrape time. */
function totalCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** The Redis chat bus (CHAT_BUS=redis), read at scrape time like the rest. */
export function registerChatBusMetrics(registry: Registry, bus: ChatBus): void {
  const registers = [registry];
  const counters = bus.busCounters;
  new Gauge({
    name: 'chat_bus_up',
    help: '1 while room events go through Redis; 0 while this process serves its members alone.',
    registers,
    collect() {
      this.set(bus.isUp ? 1 : 0);
    },
  });
  new Gauge({
    name: 'chat_bus_in_flight',
    help: 'Own room events asked of Redis and not yet received back.',
    registers,
    collect() {
      this.set(bus.inFlightEvents);
    },
  });
  const total = (name: string, help: string, read: () => number) => totalCounter(registry, name, help, read);
  total('chat_bus_published_total', 'Room events this process published through Redis.', () => counters.published);
  total(
    'chat_bus_received_total',
    "Room events received from Redis (own and other processes').",
    () => counters.received,
  );
  total('chat_bus_lost_total', 'Times this process lost the bus and served its members alone.', () => counters.lost);
  total(
    'chat_bus_resyncs_total',
    'Times this process registered its rooms on the bus (start-up included).',
    () => counters.resyncs,
  );
  total(
    'chat_bus_reaped_total',
    'Dead processes whose members this process announced as gone, once per room.',
    () => counters.reaped,
  );
}
