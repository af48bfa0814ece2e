/**
 * A real Prometheus (Debian package prometheus) for one test file: a free loopback port, its data
 * in a temporary folder, scraping the given jobs every second. Stopped and removed afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitHealthy } from '../../tools/processes.js';
import { programCommand } from './system-programs.js';

export interface QueryResult {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
    private readonly log: () => string,
  ) {}

  /** Starts Prometheus scraping `jobs` (job name → `host:port` targets) every second. */
  static async start(jobs: Record<string, string[]>): Promise<PrometheusServer> {
    const [binary] = programCommand('prometheus');
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    const scrapeConfigs = Object.entries(jobs)
      .map(
        ([job, targets]) =>
          `  - job_name: ${job}\n    static_configs:\n      - targets: [${targets.map((t) => `"${t}"`).join(', ')}]`,
      )
      .join('\n');
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${scrapeConfigs}\n`,
    );
    const child = spawn(
      binary as string,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.once('error', (err) => (log += `${err.message}\n`));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`, () => log);
    try {
      await waitHealthy(server.url, child, 15_000, '/-/ready');
    } catch (err) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`prometheus did not start: ${(err as Error).message}\n${log}`, { cause: err });
    }
    return server;
  }

  /** An instant query; throws on a PromQL error. */
  async query(expr: string): Promise<QueryResult[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: QueryResult[] };
    };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data?.result ?? [];
  }

  get output(): string {
    return this.log();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await once(this.child, 'exit');
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
