/**
 * Starts a chat server under test as a real process on a free loopback port.
 *
 * By default the suites run against both profiles built in dist/. Any other implementation of
 * the contract can be checked with the same suites: set CONTRACT_SERVER_CMD to a shell command
 * that starts it; it must honour the settings variables of the README (PORT, HOST, ...).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { GO_REFERENCE_BINARY, profileArgs } from '../../src/core/index.js';
import { freePort, waitHealthy } from '../../tools/processes.js';
import { once } from 'node:events';
import { programCommand } from './system-programs.js';

export interface Profile {
  readonly name: string;
  readonly command: readonly string[];
  readonly shell?: boolean;
  /** Added to the server's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/** As `npm run start:prod`, `start:baseline` and `start:cluster` start them (src/core/runtime/profiles.ts). */
export const PROFILE_A: Profile = {
  name: 'A (NestJS)',
  command: [process.execPath, ...profileArgs('a')],
  env: { HTTP_PLATFORM: 'express' },
};
/** Profile A on Fastify: the same app and entry, another HTTP platform under Nest. */
export const PROFILE_A_FASTIFY: Profile = {
  name: 'A (NestJS, Fastify)',
  command: [process.execPath, ...profileArgs('a')],
  env: { HTTP_PLATFORM: 'fastify' },
};
export const PROFILE_B: Profile = { name: 'B (baseline)', command: [process.execPath, ...profileArgs('b')] };
/** The Go reference server (reference/go, `npm run build:go`): net/http, gorilla/websocket, redigo. */
export const PROFILE_GO: Profile = { name: 'Go (reference)', command: [GO_REFERENCE_BINARY] };
export const CLUSTER: Profile = { name: 'A cluster', command: [process.execPath, ...profileArgs('cluster')] };

/** Every suite's servers: Profile A on Express and on Fastify, Profile B; or the server of CONTRACT_SERVER_CMD. */
export const PROFILES: readonly Profile[] = process.env.CONTRACT_SERVER_CMD
  ? [{ name: 'external', command: [process.env.CONTRACT_SERVER_CMD], shell: true }]
  : [PROFILE_A, PROFILE_A_FASTIFY, PROFILE_B];

/**
 * The shared suites of both contracts (the chat contract, the decision API, the differential
 * fuzzer): every profile and the Go reference server; or the server of CONTRACT_SERVER_CMD.
 */
export const CONTRACT_PROFILES: readonly Profile[] = process.env.CONTRACT_SERVER_CMD
  ? PROFILES
  : [...PROFILES, PROFILE_GO];

/** Profile A on each of its HTTP platforms (none for CONTRACT_SERVER_CMD). */
export const PROFILES_A: readonly Profile[] = PROFILES.filter((p) => p.name.startsWith('A'));

export { freePort };

/**
 * `profile` with its clock `offset` ahead or behind (libfaketime preloaded, e.g. `+2h`): a server
 * whose own clock differs from Redis's, to see which clock it decides with. The library is
 * preloaded into the server's own process, so signals reach the server itself.
 */
export function withClock(profile: Profile, offset: string): Profile {
  const [library] = programCommand('libfaketime');
  return {
    ...profile,
    name: `${profile.name}, clock ${offset}`,
    env: { ...profile.env, LD_PRELOAD: library as string, FAKETIME: offset },
  };
}

/** Every server a test started and has not seen exit: killed if the test process ends first. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class ServerProcess {
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    /** Envoy's rate limit service (GRPC_PORT): its own free port for every server. */
    readonly grpcPort: number,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    running.add(child);
    this.exited = once(child, 'exit').then(([code, signal]) => {
      running.delete(child);
      return { code, signal };
    });
  }

  static async start(profile: Profile, env: Record<string, string> = {}): Promise<ServerProcess> {
    const port = await freePort();
    const grpcPort = await freePort();
    const [cmd, ...args] = profile.command;
    const child = spawn(cmd as string, args, {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        GRPC_PORT: String(grpcPort),
        ...profile.env,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: profile.shell ?? false,
    });
    const server = new ServerProcess(child, port, grpcPort);
    await server.waitHealthy(15_000);
    return server;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `host:port` of its gRPC rate limit service. */
  get grpcAddress(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get log(): string {
    return this.output;
  }

  async getJson<T = any>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(this.httpUrl + path);
    return { status: res.status, body: (await res.json()) as T };
  }

  async stats(): Promise<Record<string, number>> {
    return (await this.getJson('/stats')).body;
  }

  /** Polls /stats until `predicate` holds (bounded); returns the last stats. */
  async waitForStats(
    predicate: (s: Record<string, number>) => boolean,
    timeoutMs = 5000,
  ): Promise<Record<string, number>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stats();
      if (predicate(s) || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Profile A with CHAT_BUS=redis: waits (bounded) until /health/ready says the bus is up. */
  async waitForBus(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await this.getJson('/health/ready');
      if (body?.details?.chatBus?.bus === 'redis') return;
      if (Date.now() > deadline) throw new Error(`chat bus not up within ${timeoutMs} ms: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends SIGTERM and waits for the exit (SIGKILL after 15 s, so a test never hangs). */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    this.child.kill('SIGTERM');
    const result = await this.exited;
    clearTimeout(killer);
    return result;
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    try {
      await waitHealthy(this.httpUrl, this.child, timeoutMs);
    } catch {
      this.child.kill('SIGKILL');
      throw new Error(`server did not become healthy on port ${this.port}:\n${this.output}`);
    }
  }
}

/** Runs a server process with `env` and returns its exit status and output (for start-up errors). */
export async function runToExit(profile: Profile, env: Record<string, string>, timeoutMs = 10_000) {
  const [cmd, ...args] = profile.command;
  const child = spawn(cmd as string, args, {
    // no gRPC unless asked: a default port shared by servers started at once would be taken
    env: { ...process.env, HOST: '127.0.0.1', GRPC_PORT: 'off', ...profile.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: profile.shell ?? false,
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(killer);
  return { code: code as number | null, output };
}
