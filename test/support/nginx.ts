/**
 * docker/nginx.conf run for real on loopback: the same file the compose load balancer uses, with
 * the replicas' address and the listening port replaced by local ones. Stopped afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitHealthy } from '../../tools/processes.js';
import { programCommand } from './system-programs.js';

export class Nginx {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Starts nginx with docker/nginx.conf in front of `upstreamPorts` on 127.0.0.1. */
  static async start(upstreamPorts: number[]): Promise<Nginx> {
    const [nginxBinary] = programCommand('nginx');
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
    const original = readFileSync(new URL('../../docker/nginx.conf', import.meta.url), 'utf8');
    const config = original
      .replace('server profile-a-scaled:3000;', upstreamPorts.map((p) => `server 127.0.0.1:${p};`).join('\n    '))
      .replace('listen 8080;', `listen 127.0.0.1:${port};`);
    if (config === original || !config.includes(`listen 127.0.0.1:${port};`))
      throw new Error('docker/nginx.conf changed shape: update test/support/nginx.ts');
    writeFileSync(join(dir, 'nginx.conf'), config);
    const child = spawn(
      nginxBinary as string,
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let errors = '';
    child.once('error', (err) => (errors += `${err.message}\n`)); // waitHealthy sees the exit
    child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
    const nginx = new Nginx(child, dir, port);
    try {
      await waitHealthy(nginx.httpUrl, child, 10_000);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start: ${(err as Error).message}\n${errors}`, { cause: err });
    }
    return nginx;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.kill('SIGQUIT'); // graceful: finishes open connections' current work
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await once(this.child, 'exit');
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
