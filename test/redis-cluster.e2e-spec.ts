/**
 * The limiter on a real Redis Cluster (issue 18; docs/LIMITER.md, "On a Redis Cluster"): three
 * masters and three replicas from Debian's redis-server, joined by `redis-cli --cluster create`.
 * Every profile decides on it with REDIS_CLUSTER_NODES, its keys spread over every master;
 * Profile A and Profile B sharing it decide one key as one limiter would have (every decision
 * replayed); `npm run start:cluster` shares its rooms through the bus on it; and when a master
 * is killed its replica takes over, decisions go on (the fallback answers meanwhile) and come back
 * to the cluster, never past a limit. (The chat bus's own suite on a cluster: cluster.e2e-spec.ts.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionLog } from '../bench/limiter/accuracy.js';
import type { Policy } from '../src/core/index.js';
import { RedisCluster } from '../tools/redis-cluster.js';
import { ChatClient } from './support/chat-client.js';
import { CLUSTER, type Profile, PROFILES, ServerProcess } from './support/server-process.js';
import { programCommand } from './support/system-programs.js';

const POLICIES: Policy[] = [
  { name: 'burst', algorithm: 'token_bucket', scope: ['user'], capacity: 20, refillPerSec: 10 },
  { name: 'burst-window', algorithm: 'sliding_window', scope: ['user'], limit: 20, windowMs: 1000 },
  { name: 'five', algorithm: 'sliding_window', scope: ['user'], limit: 5, windowMs: 600_000 },
];
const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
const POLICIES_FILE = join(dir, 'policies.json');
writeFileSync(POLICIES_FILE, JSON.stringify({ policies: POLICIES }));

interface Decision {
  allowed: boolean;
  remaining: number;
  now: number;
  store: string;
}

async function consume(server: ServerProcess, policy: string, user: string): Promise<Decision> {
  const res = await fetch(`${server.httpUrl}/v1/check_and_consume`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ policy, subject: { user } }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Decision;
}

/** The decisions as runs of one store and outcome (`redis+ x12 memory- x3 ...`), for failure messages. */
function timeline(decisions: readonly Decision[]): string {
  const runs: [string, number][] = [];
  for (const d of decisions) {
    const label = `${d.store}${d.allowed ? '+' : '-'}`;
    const last = runs.at(-1);
    if (last?.[0] === label) last[1]++;
    else runs.push([label, 1]);
  }
  return runs.map(([label, n]) => `${label} x${n}`).join(' ');
}

function replay(policy: string, decisions: readonly Decision[]) {
  const log = new DecisionLog(POLICIES.find((p) => p.name === policy) as Policy);
  for (const d of decisions) log.add('k', d.now, d.allowed, d.store);
  return log.replay();
}

let cluster: RedisCluster;
/** The masters the cluster started with (each with a replica), and those killed since. */
let ORIGINAL_MASTERS: number[] = [];
const killed = new Set<number>();
beforeAll(async () => {
  const [redisServer] = programCommand('redis-server');
  cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1_000, redisServer });
  ORIGINAL_MASTERS = (await cluster.masters()).map((m) => m.port);
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

/** A server of `profile` on the cluster, with short timeouts so that a failover fits in seconds. */
const onCluster = (profile: Profile) =>
  ServerProcess.start(profile, {
    POLICIES_FILE,
    LIMITER_STORE: 'redis',
    REDIS_CLUSTER_NODES: cluster.seeds,
    DENY_CACHE_MS: '0',
    REDIS_TIMEOUT_MS: '200',
    BREAKER_FAILURES: '1',
    BREAKER_OPEN_MS: '200',
  });

describe.each(PROFILES)('the limiter on a Redis Cluster, $name', (profile: Profile) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await onCluster(profile);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('decides on the cluster, its keys spread over every master, each to its limit', async () => {
    const users = Array.from({ length: 30 }, (_, i) => `${profile.name}-${i}`);
    for (const user of users) {
      const answers: Decision[] = [];
      for (let i = 0; i < 6; i++) answers.push(await consume(server, 'five', user));
      expect(answers.map((d) => d.store)).toEqual(Array(6).fill('redis'));
      expect(answers.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    }
    const shards = new Set(await Promise.all(users.map((u) => cluster.masterOf(`rl:{five:${encodeURIComponent(u)}}`))));
    expect(shards.size).toBe(3);
    for (const master of await cluster.masters()) {
      expect(Number((await cluster.cli(master.port, 'dbsize')).trim())).toBeGreaterThan(0);
    }
  });
});

describe('Profile A and Profile B on one Redis Cluster', () => {
  let servers: ServerProcess[];
  beforeAll(async () => {
    servers = await Promise.all([PROFILES[0], PROFILES[PROFILES.length - 1]].map((p) => onCluster(p as Profile)));
  });
  afterAll(async () => {
    await Promise.all((servers ?? []).map((s) => s.stop()));
  });

  it.each(['burst', 'burst-window'])('decide %s for one key as one limiter would have', async (policy) => {
    const user = `shared-${policy}`;
    const decisions: Decision[] = [];
    const started = Date.now();
    await Promise.all(
      [...servers, ...servers].map(async (server) => {
        while (Date.now() - started < 1_500) decisions.push(await consume(server, policy, user));
      }),
    );
    expect(new Set(decisions.map((d) => d.store))).toEqual(new Set(['redis']));
    expect(decisions.filter((d) => !d.allowed).length).toBeGreaterThan(0);
    expect(replay(policy, decisions)).toMatchObject({ falseAllows: 0, falseDenies: 0, overLimitAllows: 0 });
  });
});

describe('npm run start:cluster on the Redis Cluster', () => {
  it('shares rooms between its workers through the bus on the cluster, and decides on it', async () => {
    const server = await ServerProcess.start(CLUSTER, {
      POLICIES_FILE,
      REDIS_CLUSTER_NODES: cluster.seeds,
      CLUSTER_WORKERS: '2',
      LOG_LEVEL: 'warn',
    });
    const clients: ChatClient[] = [];
    try {
      // connections go to the workers in turn: members of one room on both
      for (let i = 0; i < 4; i++) clients.push(await ChatClient.connect(server.wsUrl));
      for (const [i, client] of clients.entries()) {
        client.send({ type: 'join', room: 'workers', user: `w${i}` });
        for (const member of clients.slice(0, i + 1))
          expect(await member.next()).toEqual({ type: 'join', room: 'workers', user: `w${i}`, members: i + 1 });
      }
      (clients[3] as ChatClient).send({ type: 'chat', room: 'workers', text: 'hello all' });
      for (const client of clients)
        expect(await client.next()).toMatchObject({ type: 'chat', user: 'w3', text: 'hello all', seq: 1 });
      expect((await consume(server, 'five', 'start-cluster')).store).toBe('redis');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
    }
  });
});

describe.each(PROFILES.filter((p) => p !== PROFILES[1]))('a master failover under $name', (profile: Profile) => {
  it('goes on through it: the fallback answers, then the promoted replica, exactly as one limiter', async () => {
    const server = await onCluster(profile);
    try {
      // a key on a master that still has its replica (each failover uses up one shard's)
      let user = '';
      let master = 0;
      for (let i = 0; master === 0; i++) {
        const m = await cluster.masterOf(`rl:{burst:failover-${i}}`);
        if (ORIGINAL_MASTERS.includes(m) && !killed.has(m)) [user, master] = [`failover-${i}`, m];
      }
      killed.add(master);
      const decisions: Decision[] = [];
      let until = Date.now() + 20_000; // bounded; set to 1.5 s past the failover once it is over
      const calls = (async () => {
        while (Date.now() < until) {
          decisions.push(await consume(server, 'burst', user));
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      await new Promise((r) => setTimeout(r, 800));
      await cluster.kill(master);
      // the replica is promoted once the other masters agree the master failed (node timeout 1 s)
      const promoted = await cluster.waitForFailover(`rl:{burst:${user}}`, master, 15_000).catch(() => undefined);
      until = Math.min(until, Date.now() + 1_500);
      await calls;
      const seen = timeline(decisions);
      // the replica took over, and decisions came back to the cluster
      expect(promoted, seen).toBeDefined();
      expect(
        decisions.some((d) => d.store === 'memory'),
        seen,
      ).toBe(true);
      expect(
        decisions.slice(-10).every((d) => d.store === 'redis'),
        seen,
      ).toBe(true);
      // the copy of each key's state, handed back, covers what the replica had not received yet
      expect(replay('burst', decisions), seen).toMatchObject({ falseAllows: 0, overLimitAllows: 0 });
    } finally {
      await server.stop();
    }
  }, 30_000);
});
