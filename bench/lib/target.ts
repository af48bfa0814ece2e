/**
 * What a benchmark runs against: a profile this harness starts (pinned to CPU 0, with the
 * settings the scenario needs), or a server someone else started, in any language.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { ServerStats } from '../../src/chat/core/server-stats.js';

export type { ServerStats };

export interface Target {
  /** `a`, `b`, or the URL of an external server. */
  readonly name: string;
  readonly wsUrl: string;
  readonly httpUrl: string;
  /** GET /stats, or undefined when the server has none. */
  stats(): Promise<ServerStats | undefined>;
  stop(): Promise<void>;
}

/** Node arguments of each profile, as `npm run start:prod` / `start:baseline` run them. */
export const PROFILE_ARGS: Record<'a' | 'b', string[]> = {
  a: ['--import', './dist/telemetry/preload.js', 'dist/main.js'],
  b: ['dist/baseline/main.js'],
};

export const SERVER_CPU = '0';
export const LOAD_CPU = '1';

export function tasksetAvailable(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

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

async function fetchStats(httpUrl: string): Promise<ServerStats | undefined> {
  try {
    const res = await fetch(`${httpUrl}/stats`);
    return res.ok ? ((await res.json()) as ServerStats) : undefined;
  } catch {
    return undefined;
  }
}

async function waitHealthy(httpUrl: string, child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${httpUrl}/health`)).ok) return;
    } catch {
      // not yet
    }
    if (child && child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${httpUrl}/health did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts profile `a` or `b` from dist/ (pinned to CPU 0 where taskset exists), or wraps a URL. */
export async function openTarget(spec: string, env: Record<string, string> = {}): Promise<Target> {
  if (spec === 'a' || spec === 'b') {
    const port = await freePort();
    const pin = tasksetAvailable() ? ['taskset', '-c', SERVER_CPU] : [];
    const [cmd, ...args] = [...pin, process.execPath, ...PROFILE_ARGS[spec]];
    const child = spawn(cmd as string, args, {
      env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const httpUrl = `http://127.0.0.1:${port}`;
    await waitHealthy(httpUrl, child, 20_000);
    return {
      name: spec,
      wsUrl: `ws://127.0.0.1:${port}/ws`,
      httpUrl,
      stats: () => fetchStats(httpUrl),
      stop: async () => {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
        await once(child, 'exit');
        clearTimeout(timer);
      },
    };
  }
  const url = new URL(spec);
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) throw new Error(`--target must be a, b or a ws/http URL, got ${spec}`);
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  const hostPort = url.host;
  const httpUrl = `${secure ? 'https' : 'http'}://${hostPort}`;
  const wsUrl = url.protocol.startsWith('ws') ? spec : `${secure ? 'wss' : 'ws'}://${hostPort}/ws`;
  await waitHealthy(httpUrl, undefined, 5_000);
  return { name: spec, wsUrl, httpUrl, stats: () => fetchStats(httpUrl), stop: async () => {} };
}
