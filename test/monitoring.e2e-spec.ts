/**
 * The monitoring of docker/docker-compose.yml, checked without a Docker engine: the compose file
 * parses with a compose client; Prometheus' config passes `promtool check config`; Grafana's
 * provisioning points at that Prometheus; every query of the dashboard is valid PromQL (`promtool
 * check rules`), names only metrics that a real scrape of the profiles has, and returns data from
 * a real Prometheus scraping Profile A and Profile B under the compose file's job names.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ChatClient } from './support/chat-client.js';
import { PrometheusServer } from './support/prometheus-server.js';
import { parsePrometheus } from './support/prometheus.js';
import { RedisServer } from './support/redis-server.js';
import { PROFILE_A, PROFILE_B, ServerProcess } from './support/server-process.js';
import { programCommand } from './support/system-programs.js';

const COMPOSE = 'docker/docker-compose.yml';
const PROMETHEUS_CONFIG = 'docker/prometheus/prometheus.yml';
const DASHBOARD = 'docker/grafana/dashboards/chat-limiter.json';

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[] };

/** Each query panel with the title of the row it sits in. */
const panels = (() => {
  let row = '';
  const out: { row: string; panel: Panel }[] = [];
  for (const panel of dashboard.panels) {
    if (panel.type === 'row') row = panel.title;
    else out.push({ row, panel });
  }
  return out;
})();
const queries = panels.flatMap(({ row, panel }) =>
  (panel.targets ?? []).map((t) => ({ row, title: panel.title, expr: t.expr })),
);

/** A dashboard query as Prometheus runs it: Grafana's interval variable replaced by a window. */
const promql = (expr: string) => expr.replaceAll('$__rate_interval', '10s');

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
]);

/** The metric names a PromQL expression reads. */
function metricNames(expr: string): string[] {
  const bare = promql(expr)
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range windows
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ''); // label lists
  return [...bare.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g)]
    .map((m) => m[1] as string)
    .filter((name) => !KEYWORDS.has(name));
}

describe('docker/docker-compose.yml and its monitoring', () => {
  it('parses with the compose client: both profiles, the scaled A behind nginx, Prometheus and Grafana', () => {
    const [compose, ...composeArgs] = programCommand('compose');
    const output = execFileSync(compose as string, [...composeArgs, '-f', COMPOSE, 'config'], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    for (const service of [
      'redis',
      'jaeger',
      'profile-a',
      'profile-b',
      'profile-a-scaled',
      'lb',
      'prometheus',
      'grafana',
    ])
      expect(output).toContain(`  ${service}:`);
    // both profiles, and each replica of the scaled Profile A, run under the same limits
    const limits = [...output.matchAll(/^ {4}(cpus|mem_limit): (.+)$/gm)].map((m) => `${m[1]}=${m[2]}`);
    expect(limits.filter((l) => l.startsWith('cpus')).length).toBe(3);
    expect(new Set(limits).size).toBe(2);
    expect(output).toMatch(/^ {4}scale: 3$/m);
    expect(output).toMatch(/nginx\.conf:\/etc\/nginx\/nginx\.conf:ro/);
    expect(output).toMatch(/prometheus\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml:ro/);
    expect(output).toMatch(/grafana\/provisioning:\/etc\/grafana\/provisioning:ro/);
    expect(output).toMatch(/grafana\/dashboards:\/var\/lib\/grafana\/dashboards:ro/);
  });

  it('gives Prometheus a config promtool accepts, scraping A, B and every scaled replica on the compose network', () => {
    const [promtool] = programCommand('promtool');
    const check = spawnSync(promtool as string, ['check', 'config', PROMETHEUS_CONFIG], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const config = parseYaml(readFileSync(PROMETHEUS_CONFIG, 'utf8'));
    const services = parseYaml(readFileSync(COMPOSE, 'utf8')).services as Record<string, unknown>;
    const jobs = Object.fromEntries(
      (config.scrape_configs as any[]).map((job) => [
        job.job_name,
        [
          ...(job.static_configs ?? []).flatMap((c: any) => c.targets),
          ...(job.dns_sd_configs ?? []).flatMap((c: any) => c.names.map((n: string) => `${n}:${c.port}`)),
        ],
      ]),
    );
    expect(jobs).toEqual({
      'profile-a': ['profile-a:3000'],
      'profile-b': ['profile-b:3000'],
      'profile-a-scaled': ['profile-a-scaled:3000'],
    });
    for (const target of Object.values(jobs).flat())
      expect(services).toHaveProperty((target as string).split(':')[0] as string);
  });

  it('provisions Grafana with that Prometheus and the dashboard, whose every panel uses it', () => {
    const datasources = parseYaml(
      readFileSync('docker/grafana/provisioning/datasources/prometheus.yml', 'utf8'),
    ).datasources;
    expect(datasources).toEqual([
      expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    const providers = parseYaml(
      readFileSync('docker/grafana/provisioning/dashboards/dashboards.yml', 'utf8'),
    ).providers;
    expect(providers).toEqual([
      expect.objectContaining({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } }),
    ]);
    expect(panels.length).toBeGreaterThan(10);
    for (const { panel } of panels) {
      expect(panel.datasource?.uid, panel.title).toBe('prometheus');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? [])
        expect(target.datasource?.uid ?? 'prometheus', panel.title).toBe('prometheus');
    }
  });

  it('has only valid PromQL in the dashboard (promtool check rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-rules-'));
    try {
      const rules = queries.map(
        (q, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(promql(q.expr))}`,
      );
      writeFileSync(join(dir, 'rules.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const [promtool] = programCommand('promtool');
      const check = spawnSync(promtool as string, ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toContain(`${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The jobs of docker/prometheus/prometheus.yml each row of the dashboard shows (by its title). */
const ROW_JOBS: [string, string[]][] = [
  ['Profile A vs Profile B', ['profile-a', 'profile-a-scaled', 'profile-b']],
  ['Limiter', ['profile-a', 'profile-a-scaled']],
  ['Chat bus', ['profile-a-scaled']],
];

/** Panels that show other jobs than their row: Profile B also times its Redis decisions. */
const PANEL_JOBS: Record<string, string[]> = {
  'Redis decision latency (A and B)': ['profile-a', 'profile-a-scaled', 'profile-b'],
};

describe('the dashboard on real scrapes of Profile A and Profile B', () => {
  let redis: RedisServer;
  let a: ServerProcess;
  let scaled: ServerProcess;
  let b: ServerProcess;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    redis = await RedisServer.start();
    // as compose runs them: A and B on the Redis limiter store, a scaled replica on the bus too
    [a, scaled, b] = await Promise.all([
      ServerProcess.start(PROFILE_A, { LIMITER_STORE: 'redis', REDIS_URL: redis.url }),
      ServerProcess.start(PROFILE_A, { LIMITER_STORE: 'redis', CHAT_BUS: 'redis', REDIS_URL: redis.url }),
      ServerProcess.start(PROFILE_B, { LIMITER_STORE: 'redis', REDIS_URL: redis.url }),
    ]);
    await scaled.waitForBus();
    for (const server of [a, scaled, b]) {
      const [x, y] = [await ChatClient.connect(server.wsUrl), await ChatClient.connect(server.wsUrl)];
      x.send({ type: 'join', room: 'dash', user: 'x' });
      y.send({ type: 'join', room: 'dash', user: 'y' });
      x.send({ type: 'chat', room: 'dash', text: 'hi' });
      await Promise.all([x.drain(), y.drain()]);
      await fetch(`${server.httpUrl}/v1/check_and_consume`, {
        method: 'POST',
        body: JSON.stringify({ policy: 'per-user', subject: { user: 'd' } }),
      });
    }
    prometheus = await PrometheusServer.start({
      'profile-a': [`127.0.0.1:${a.port}`],
      'profile-a-scaled': [`127.0.0.1:${scaled.port}`],
      'profile-b': [`127.0.0.1:${b.port}`],
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([a?.stop(), scaled?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('queries only metrics that a scrape of A or B has', async () => {
    const scraped = new Set<string>();
    for (const server of [a, scaled, b])
      for (const s of parsePrometheus(await (await fetch(`${server.httpUrl}/metrics`)).text()).samples)
        scraped.add(s.name);
    const queried = new Set(queries.flatMap((q) => metricNames(q.expr)));
    expect(queried.size).toBeGreaterThan(15);
    expect([...queried].filter((name) => !scraped.has(name))).toEqual([]);
  });

  it('gets data for every query from Prometheus, for every job its row shows', async () => {
    expect(new Set(queries.map((q) => q.row)).size).toBe(ROW_JOBS.length);
    for (const query of queries) {
      const want = PANEL_JOBS[query.title] ?? ROW_JOBS.find(([title]) => query.row.startsWith(title))?.[1];
      expect(want, `the row of ${query.title}`).toBeDefined();
      // bounded: two scrapes a second apart are enough for every rate
      await expect
        .poll(async () => [...new Set((await prometheus.query(promql(query.expr))).map((r) => r.metric.job))].sort(), {
          timeout: 20_000,
          interval: 250,
          message: `${query.title}: ${query.expr}`,
        })
        .toEqual(want);
    }
  });
});
