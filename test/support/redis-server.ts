/**
 * A private `redis-server` for one test file: a free loopback port, no persistence, stopped
 * afterwards. Never the machine's own Redis.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { redisAnswersPing } from '../../bench/lib/redis-process.js';
import { freePort } from './server-process.js';

export function redisServerAvailable(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()));
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswersPing(this.port))) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`redis-server did not start on ${this.port}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops it hard (SIGKILL): the clients see the connection drop, as in a crash. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
}
