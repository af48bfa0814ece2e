/**
 * A private `redis-server` for one test file: a free loopback port, no persistence, stopped
 * afterwards. Never the machine's own Redis.
 */
import { freePort } from '../../tools/processes.js';
import { type RedisProcess, startRedis } from '../../tools/redis-process.js';
import { programCommand } from './system-programs.js';

export class RedisServer {
  private process: RedisProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly binary: string,
  ) {}

  static async start(port?: number): Promise<RedisServer> {
    // a clear message, not a spawn error, when it is missing
    const [binary] = programCommand('redis-server');
    const server = new RedisServer(port ?? (await freePort()), binary as string);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port. */
  async restart(): Promise<void> {
    if (this.process) throw new Error('redis-server is already running');
    this.process = await startRedis(this.port, undefined, this.binary);
  }

  /** Stops it hard (SIGKILL): the clients see the connection drop, as in a crash. */
  async stop(): Promise<void> {
    const process = this.process;
    this.process = undefined;
    await process?.stop();
  }
}
