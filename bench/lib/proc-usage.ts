/**
 * CPU time and resident memory of processes, read from Linux's /proc: for a server made of
 * several processes (a node:cluster primary and its workers, Redis), where one process's /stats
 * sees only itself.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcUsage {
  userMicros: number;
  systemMicros: number;
  rssBytes: number;
  processes: number;
}

function getconf(name: string, fallback: number): number {
  try {
    return Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim()) || fallback;
  } catch {
    return fallback;
  }
}

const TICK_MICROS = 1e6 / getconf('CLK_TCK', 100);
const PAGE_BYTES = getconf('PAGESIZE', 4096);

interface Stat {
  ppid: number;
  utime: number;
  stime: number;
  rssPages: number;
}

/** Fields of /proc/<pid>/stat (proc(5)); undefined once the process is gone. */
function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // after "pid (comm) ": state is field 3, so field n is at index n - 3
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(fields[1]),
    utime: Number(fields[11]),
    stime: Number(fields[12]),
    rssPages: Number(fields[21]),
  };
}

/** `roots` and every process descending from them. */
function withDescendants(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const all: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    all.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return all;
}

/** CPU and RSS summed over `roots` and their descendants (live processes only). */
export function processTreeUsage(roots: number[]): ProcUsage {
  const usage: ProcUsage = { userMicros: 0, systemMicros: 0, rssBytes: 0, processes: 0 };
  for (const pid of withDescendants(roots)) {
    const stat = readStat(pid);
    if (!stat) continue;
    usage.userMicros += stat.utime * TICK_MICROS;
    usage.systemMicros += stat.stime * TICK_MICROS;
    usage.rssBytes += stat.rssPages * PAGE_BYTES;
    usage.processes++;
  }
  return usage;
}

/** CPU time (user + system, µs) of `pid` and its descendants so far. */
export function cpuMicrosOfTree(pid: number): number {
  const usage = processTreeUsage([pid]);
  return usage.userMicros + usage.systemMicros;
}

export function procAvailable(): boolean {
  return readStat(process.pid) !== undefined;
}
