/**
 * Small helpers to run servers in other processes, shared by the benchmark harness (bench/) and
 * the tests (test/): a free loopback port, and waiting until a server answers.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
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
