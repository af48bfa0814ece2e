/**
 * Small helpers to run servers in other processes, shared by the benchmark harness (bench/) and
 * the tests (test/): a free loopback port, and waiting until a server answers.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The first port of the kernel's ephemeral range (ip_local_port_range), from which outgoing
 * connections take their local ports; 32768, Linux's default, where it cannot be read.
 */
function ephemeralFloor(): number {
  try {
    const floor = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(floor) && floor > 2048 ? floor : 32_768;
  } catch {
    return 32_768;
  }
}

/** Ports this process's freePort returned. */
const handedOut = new Set<number>();

/** Whether `port` can be listened on at 127.0.0.1 now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A port free on 127.0.0.1 for a server to listen on, taken below the ephemeral range: a port the
 * kernel picked (listen on 0) can be taken, before the server listens, as the local port of an
 * outgoing connection (a load generator opening a thousand), and the server then fails with
 * EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const floor = ephemeralFloor();
  const from = Math.max(1024, floor - 16_384);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * (floor - from));
    // never the same port twice from one process: two asked in a row are both still free
    if (!handedOut.has(port) && (await canListen(port))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${from} and ${floor - 1}`);
}

/** Polls GET `httpUrl` + `path` (/health) until it answers 2xx; fails early when `child` exits or dies by a signal. */
export async function waitHealthy(
  httpUrl: string,
  child: ChildProcess | undefined,
  timeoutMs: number,
  path = '/health',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${httpUrl}${path}`)).ok) return;
    } catch {
      // not yet
    }
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`server exited with ${child.exitCode ?? child.signalCode}`);
    }
    if (Date.now() > deadline) throw new Error(`${httpUrl}${path} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
