import { Counter, Gauge, type Registry } from 'prom-client';
import type { ChatCounters } from '../chat/core/chat-counters.js';
import type { ConnectionRegistry } from '../chat/core/connection-registry.js';
import type { RoomRegistry } from '../chat/core/room-registry.js';

/**
 * The chat's metrics, all read at scrape time from the core's plain counters: the hot path pays
 * an integer increment, never a metrics-library call.
 */
export function registerChatMetrics(registry: Registry, connections: ConnectionRegistry, rooms: RoomRegistry): void {
  const counters: ChatCounters = connections.counters;
  const registers = [registry];
  new Gauge({ name: 'chat_connections', help: 'Open WebSocket connections.', registers, collect() { this.set(connections.size); } });
  new Gauge({ name: 'chat_rooms', help: 'Rooms with members.', registers, collect() { this.set(rooms.size); } });
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
  byType('chat_frames_in_total', 'Client frames by type (rejected: failed before the type was known).', counters.framesIn);
  byType('chat_frames_out_total', 'Server frames by type, each recipient counted.', counters.framesOut);
  const total = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  total('chat_fanout_deliveries_total', 'Frames delivered to room members by join, chat and leave broadcasts.', () => counters.deliveries);
  total('chat_rate_limited_total', 'Client frames refused with rate_limited.', () => counters.rateLimited);
  total('chat_slow_consumers_dropped_total', 'Connections cut because their unsent output passed the bound.', () => connections.slowConsumersDropped);
  total('chat_dead_connections_cut_total', 'Connections cut by the keepalive sweep.', () => connections.deadConnectionsCut);
}
