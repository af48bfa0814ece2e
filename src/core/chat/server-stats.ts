/** The `GET /stats` body of the contract; both profiles serve exactly these fields. */
export interface ServerStats {
  connections: number;
  rooms: number;
  rssBytes: number;
  heapUsedBytes: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  uptimeMs: number;
}

export function serverStats(connections: number, rooms: number): ServerStats {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    connections,
    rooms,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    uptimeMs: Math.round(process.uptime() * 1000),
  };
}

export const HEALTH_BODY = { status: 'ok' } as const;
