/**
 * What a benchmark runs against: a profile this harness starts (pinned to CPU 0, with the
 * settings the scenario needs), or a server someone else started, in any language.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { GO_REFERENCE_BINARY, grpcAddress, profileArgs, type ServerStats, settingNames } from '../../src/core/index.js';
import { cpuMicrosOfTree, processTreeUsage, procAvailable } from './proc-usage.js';
import { freePort, waitHealthy } from '../../tools/processes.js';
import { redisServerVersion } from '../../tools/redis-process.js';
import { startPrivateRedis } from '../../tools/redis-cluster.js';

export type { ServerStats };

export interface Target {
  /** `a`, `b`, `go`, or the URL of an external server. */
  readonly name: string;
  readonly wsUrl: string;
  readonly httpUrl: string;
  /**
   * `host:port` of its Envoy rate limit service (gRPC): a started profile's GRPC_PORT, or a URL
   * target's `--grpc`; undefined when the target serves none the harness knows of.
   */
  readonly grpcAddress?: string;
  /** GET /stats, or undefined when the server has none. */
  stats(): Promise<ServerStats | undefined>;
  /** CPU time of the target's Redis so far (µs), when the harness started one for it. */
  redisCpuMicros?: () => number;
  /** How many processes the CPU and RSS of stats() cover now (a started target, from /proc). */
  processes?: () => number;
  /** A started target: the settings (environment) the harness gave the server, over its defaults and the harness's own environment. */
  readonly serverSettings?: Readonly<Record<string, string>>;
  /** The version of the Redis the harness started for the target, if any. */
  readonly redisVersion?: string;
  stop(): Promise<void>;
}

/** Profile A on a given HTTP platform (the setting HTTP_PLATFORM): `a` runs it on its default. */
export const PLATFORM_TARGETS: Readonly<Record<string, string>> = { 'a-express': 'express', 'a-fastify': 'fastify' };

/** Whether the harness starts this target's profile with its own limiter store (`a`, `b`, `go`, `a-<platform>`). */
export function isStartedProfile(spec: string): boolean {
  return spec === 'a' || spec === 'b' || spec === 'go' || spec in PLATFORM_TARGETS;
}

/** The rungs of the ledger (`ledger:<rung>`, src/ledger): bench-only Nest compositions between B and A. */
export const LEDGER_ENTRY = 'dist/ledger/main.js';

export const SERVER_CPU = '0';
/** The load generator's CPUs (taskset list): every CPU but the server's; `1` on two cores. */
export const LOAD_CPU = cpus().length > 2 ? `1-${cpus().length - 1}` : '1';

/** How many CPUs LOAD_CPU names: the default number of limiter load generators. */
export function loadCpuCount(): number {
  return Math.max(1, cpus().length - 1);
}

export function tasksetAvailable(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function fetchStats(httpUrl: string): Promise<ServerStats | undefined> {
  try {
    const res = await fetch(`${httpUrl}/stats`);
    return res.ok ? ((await res.json()) as ServerStats) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The settings a started server takes from the harness's own environment (e.g.
 * `HTTP_PLATFORM=fastify npm run bench:ledger -- limiter`), recorded with its results; not those
 * the harness sets itself (PORT, GRPC_PORT, HOST, LOG_LEVEL) nor REDIS_URL (a private Redis's port).
 */
function inheritedSettings(): Record<string, string> {
  const own = new Set(['PORT', 'GRPC_PORT', 'HOST', 'LOG_LEVEL', 'REDIS_URL']);
  const inherited: Record<string, string> = {};
  for (const name of settingNames()) {
    const value = process.env[name];
    if (value !== undefined && !own.has(name)) inherited[name] = value;
  }
  return inherited;
}

/** How a started target runs: its chat bus, its workers, its CPUs. */
export interface TargetOptions {
  /** `a`: route room events through a private Redis (CHAT_BUS=redis). */
  bus?: 'local' | 'redis';
  /**
   * The private Redis of `--bus redis` and of `cluster`: one redis-server (default), or a Redis
   * Cluster of three masters (REDIS_CLUSTER_NODES), on the server's CPUs either way.
   */
  busRedis?: 'single' | 'cluster';
  /** `cluster`: worker processes (default: one per core). */
  workers?: number;
  /** CPUs of the started server and its Redis (taskset list); default SERVER_CPU. */
  serverCpus?: string;
  /** `a` or `b`: run the server under `node --cpu-prof`, writing its profile here when it stops. */
  cpuProfileDir?: string;
  /** Node's or V8's own flags for a started server (e.g. `--max-semi-space-size=1`), recorded as NODE_FLAGS. */
  nodeFlags?: readonly string[];
  /** A URL target: `host:port` of its Envoy rate limit service over gRPC (`--grpc`), for `--protocol grpc`. */
  grpc?: string;
}

/** Node arguments of `npm run start:cluster`. */

/**
 * Starts profile `a` or `b` from dist/, `cluster` (Profile A under `npm run start:cluster`), or
 * `go` (the Go reference server, reference/go, built by `npm run build:go`), pinned to CPU 0 where
 * taskset exists; or wraps a URL. A Profile A on the Redis bus, and the
 * cluster, get a private redis-server on the same CPUs. For started targets, CPU time and RSS in
 * stats() are those of every server process (workers, Redis) from /proc, where /proc exists.
 */
export async function openTarget(
  spec: string,
  env: Record<string, string> = {},
  options: TargetOptions = {},
): Promise<Target> {
  const rung = spec.startsWith('ledger:') ? spec.slice('ledger:'.length) : undefined;
  // `a-express`, `a-fastify`: Profile A with HTTP_PLATFORM set, named as asked
  const platform = PLATFORM_TARGETS[spec];
  const profile = platform === undefined ? spec : 'a';
  if (isStartedProfile(profile) || profile === 'cluster' || rung !== undefined) {
    const cpus = tasksetAvailable() ? (options.serverCpus ?? SERVER_CPU) : undefined;
    const needsRedis = profile === 'cluster' || (profile === 'a' && options.bus === 'redis');
    if ((profile === 'b' || profile === 'go') && options.bus === 'redis')
      throw new Error('--bus redis is a Profile A setting: use --target a or cluster');
    if (profile === 'go' && !existsSync(GO_REFERENCE_BINARY))
      throw new Error(`no ${GO_REFERENCE_BINARY}: build the Go reference server first (npm run build:go)`);
    if (profile === 'go' && (options.cpuProfileDir || options.nodeFlags?.length))
      throw new Error('--cpu-prof and Node flags apply to the Node.js profiles, not to go');
    const redis = needsRedis ? await startPrivateRedis(options.busRedis ?? 'single', cpus) : undefined;
    const serverEnv: Record<string, string> = {
      ...env,
      ...(rung !== undefined ? { LEDGER_RUNG: rung } : {}),
      ...(platform !== undefined ? { HTTP_PLATFORM: platform } : {}),
    };
    if (redis) Object.assign(serverEnv, { ...redis.env, CHAT_BUS: 'redis' });
    if (profile === 'cluster') serverEnv.CLUSTER_WORKERS = String(options.workers ?? 0);
    const port = await freePort();
    // the profiles (and the cluster's workers) serve Envoy's rate limit service on GRPC_PORT, the
    // ledger's rungs and the Go server do not; a port of its own for every server (the default
    // would be shared)
    const grpcPort = rung === undefined && profile !== 'go' ? await freePort() : undefined;
    const pin = cpus ? ['taskset', '-c', cpus] : [];
    if (options.cpuProfileDir && profile === 'cluster') throw new Error('--cpu-prof profiles a started a or b');
    const profiling = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    const nodeFlags = options.nodeFlags ?? [];
    // the Go server is its own binary; every other target is node with an entry under dist/
    const command =
      profile === 'go'
        ? [GO_REFERENCE_BINARY]
        : [
            process.execPath,
            ...nodeFlags,
            ...profiling,
            ...(rung !== undefined ? [LEDGER_ENTRY] : profileArgs(profile as 'a' | 'b' | 'cluster')),
          ];
    const [cmd, ...args] = [...pin, ...command];
    const child = spawn(cmd as string, args, {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...serverEnv,
        PORT: String(port),
        ...(grpcPort !== undefined ? { GRPC_PORT: String(grpcPort) } : {}),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const httpUrl = `http://127.0.0.1:${port}`;
    const stop = async () => {
      // (a server killed by a signal has no exit code, only a signal code)
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
        await once(child, 'exit');
        clearTimeout(timer);
      }
      await redis?.stop();
    };
    try {
      await waitHealthy(httpUrl, child, 20_000);
    } catch (err) {
      await stop();
      throw err;
    }
    const roots = [child.pid as number];
    const useProc = procAvailable();
    const { REDIS_URL: _redisUrl, REDIS_CLUSTER_NODES: _clusterNodes, ...serverSettings } = serverEnv;
    const redisVersion = redis ? redisServerVersion() : undefined;
    return {
      name: targetName(spec, options),
      wsUrl: `ws://127.0.0.1:${port}/ws`,
      httpUrl,
      ...(grpcPort !== undefined ? { grpcAddress: grpcAddress('127.0.0.1', grpcPort) } : {}),
      serverSettings: {
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...inheritedSettings(),
        ...serverSettings,
        ...(nodeFlags.length > 0 ? { NODE_FLAGS: nodeFlags.join(' ') } : {}),
      },
      ...(redisVersion ? { redisVersion } : {}),
      stats: async () => {
        const stats = await fetchStats(httpUrl);
        if (!stats || !useProc) return stats;
        const usage = processTreeUsage(redis ? [...roots, ...redis.pids] : roots);
        return {
          ...stats,
          cpuUserMicros: usage.userMicros,
          cpuSystemMicros: usage.systemMicros,
          rssBytes: usage.rssBytes,
        };
      },
      processes: useProc ? () => processTreeUsage(redis ? [...roots, ...redis.pids] : roots).processes : undefined,
      redisCpuMicros:
        redis && useProc ? () => redis.pids.reduce((sum, pid) => sum + cpuMicrosOfTree(pid), 0) : undefined,
      stop,
    };
  }
  const url = new URL(spec);
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol))
    throw new Error(
      `--target must be a, a-express, a-fastify, b, go, cluster, ledger:<rung> or a ws/http URL, got ${spec}`,
    );
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  const hostPort = url.host;
  const httpUrl = `${secure ? 'https' : 'http'}://${hostPort}`;
  const wsUrl = url.protocol.startsWith('ws') ? spec : `${secure ? 'wss' : 'ws'}://${hostPort}/ws`;
  if (options.grpc !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[^:\s/]+):[0-9]+$/.test(options.grpc))
    throw new Error(`--grpc must be host:port (an IPv6 host in brackets), got ${options.grpc}`);
  await waitHealthy(httpUrl, undefined, 5_000);
  return {
    name: spec,
    wsUrl,
    httpUrl,
    ...(options.grpc !== undefined ? { grpcAddress: options.grpc } : {}),
    stats: () => fetchStats(httpUrl),
    stop: async () => {},
  };
}

/** `a`, `b`, `a+redis-bus`, `cluster-2` (workers), `@0,1` when not on the default CPU. */
function targetName(spec: string, options: TargetOptions): string {
  let name = spec;
  if (spec === 'a' && options.bus === 'redis')
    name = options.busRedis === 'cluster' ? 'a+redis-cluster-bus' : 'a+redis-bus';
  if (spec === 'cluster') name = `cluster-${options.workers || availableParallelism()}`;
  if (options.serverCpus && options.serverCpus !== SERVER_CPU) name += `@${options.serverCpus}`;
  if (options.nodeFlags?.length) name += ` ${options.nodeFlags.join(' ')}`;
  return name;
}
