/**
 * A real Redis Cluster on loopback for tests and benchmarks: N masters and R replicas of each,
 * from Debian's `redis-server`, joined with `redis-cli --cluster create`, each node on a free
 * port whose cluster bus port (+10000) is free too, no persistence. Stopped as a whole, or one
 * node killed to force a failover.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { freePort } from './processes.js';
import { type RedisProcess, startRedis } from './redis-process.js';

const run = promisify(execFile);

export interface ClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a master is unreachable before its replica takes over. */
  nodeTimeoutMs?: number;
  redisServer?: string;
  redisCli?: string;
  /** Pins every node to these CPUs (taskset's list), as a benchmark's private Redis is. */
  cpus?: string;
}

/** True when nothing listens on 127.0.0.1:`port`. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeNodePort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = await freePort();
    if (port + 10_000 <= 65_535 && !taken.has(port) && !taken.has(port + 10_000) && (await isFree(port + 10_000))) {
      taken.add(port).add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

export class RedisCluster {
  private constructor(
    readonly nodes: Map<number, RedisProcess>,
    private readonly dir: string,
    private readonly cliPath: string,
  ) {}

  static async start(options: ClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicasPerMaster ?? 1;
    const cli = options.redisCli ?? 'redis-cli';
    const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
    const taken = new Set<number>();
    const ports: number[] = [];
    for (let i = 0; i < masters * (1 + replicas); i++) ports.push(await freeNodePort(taken));
    const nodes = new Map<number, RedisProcess>();
    const cluster = new RedisCluster(nodes, dir, cli);
    try {
      await Promise.all(
        ports.map(async (port) => {
          const args = [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            String(options.nodeTimeoutMs ?? 1_000),
            '--dir',
            dir,
          ];
          nodes.set(port, await startRedis(port, options.cpus, options.redisServer, args));
        }),
      );
      const addresses = ports.map((p) => `127.0.0.1:${p}`);
      await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], {
        timeout: 30_000,
      });
      await cluster.waitUntilOk(20_000);
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw new Error(
        `the Redis Cluster did not start (redis-server and redis-cli, Debian package redis-server): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** The nodes' process ids (their CPU time, for a benchmark). */
  get pids(): number[] {
    return [...this.nodes.values()].map((n) => n.child.pid as number);
  }

  /** `host:port,...` of every node: REDIS_CLUSTER_NODES. */
  get seeds(): string {
    return [...this.nodes.keys()].map((p) => `127.0.0.1:${p}`).join(',');
  }

  /** One command on one node, through redis-cli. */
  async cli(port: number, ...args: string[]): Promise<string> {
    return (await run(this.cliPath, ['-p', String(port), ...args], { timeout: 10_000 })).stdout;
  }

  private liveNode(): number {
    const live = [...this.nodes.entries()].find(([, n]) => n.child.exitCode === null && n.child.signalCode === null);
    if (live === undefined) throw new Error('no node of the cluster is running');
    return live[0];
  }

  /** The live masters as the cluster sees them now: port and the slot ranges each serves. */
  async masters(): Promise<{ port: number; slots: [number, number][] }[]> {
    const text = await this.cli(this.liveNode(), 'cluster', 'nodes');
    return text
      .split('\n')
      .map((line) => line.trim().split(' '))
      .filter((f) => {
        const flags = (f[2] ?? '').split(',');
        return flags.includes('master') && !flags.includes('fail') && !flags.includes('fail?');
      })
      .map((f) => ({
        port: Number(/:(\d+)@/.exec(f[1] ?? '')?.[1]),
        slots: f.slice(8).map((r) => {
          const [from, to] = r.split('-').map(Number);
          return [from as number, to ?? (from as number)] as [number, number];
        }),
      }));
  }

  /** The port of the master that serves `key` now. */
  async masterOf(key: string): Promise<number> {
    const slot = Number((await this.cli(this.liveNode(), 'cluster', 'keyslot', key)).trim());
    const master = (await this.masters()).find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
    if (master === undefined) throw new Error(`no master serves slot ${slot}`);
    return master.port;
  }

  /**
   * Waits until a live master other than `dead` serves `key` (its replica promoted) and every
   * live node says the cluster is ok; returns that master's port.
   */
  async waitForFailover(key: string, dead: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await this.masterOf(key).catch(() => undefined);
      if (now !== undefined && now !== dead) {
        await this.waitUntilOk(Math.max(0, deadline - Date.now()));
        return now;
      }
      if (Date.now() > deadline) throw new Error(`no replica took over ${key}'s slot within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kills one node (SIGKILL): a crash. */
  async kill(port: number): Promise<void> {
    await this.nodes.get(port)?.stop();
  }

  /**
   * Waits until every live node says cluster_state:ok and every replica is in sync with its
   * master (a replica that never synced cannot take over).
   */
  async waitUntilOk(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = [...this.nodes.entries()].filter(
        ([, n]) => n.child.exitCode === null && n.child.signalCode === null,
      );
      const states = await Promise.all(live.map(([port]) => this.cli(port, 'cluster', 'info').catch(() => '')));
      const replication = await Promise.all(
        live.map(([port]) => this.cli(port, 'info', 'replication').catch(() => '')),
      );
      const synced = replication.every((r) => r.includes('role:master') || r.includes('master_link_status:up'));
      if (synced && states.every((s) => s.includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) throw new Error(`cluster not ok within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A private Redis of a benchmark run: the settings that point a server at it, its processes. */
export interface PrivateRedis {
  /** REDIS_URL, or REDIS_CLUSTER_NODES. */
  readonly env: Record<string, string>;
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

/** One redis-server on a free port, or (`cluster`) a Redis Cluster of three masters without replicas, pinned to `cpus`. */
export async function startPrivateRedis(kind: 'single' | 'cluster', cpus: string | undefined): Promise<PrivateRedis> {
  if (kind === 'cluster') {
    const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 0, cpus });
    return { env: { REDIS_CLUSTER_NODES: cluster.seeds }, pids: cluster.pids, stop: () => cluster.stop() };
  }
  const redis = await startRedis(await freePort(), cpus);
  return { env: { REDIS_URL: redis.url }, pids: [redis.child.pid as number], stop: () => redis.stop() };
}
