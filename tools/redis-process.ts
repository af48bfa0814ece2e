/** A private redis-server for one benchmark run: a free loopback port, no persistence. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';

export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** The version of `binary` (`7.0.15` from `Redis server v=7.0.15 ...`), or undefined. */
export function redisServerVersion(binary = 'redis-server'): string | undefined {
  try {
    return /v=(\S+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }))?.[1];
  } catch {
    return undefined;
  }
}

/** True when a Redis answers PING on 127.0.0.1:`port`. */
export function redisAnswersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Every redis-server started here and still running: killed if this process ends first. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `binary` (redis-server) on `port`, pinned to `cpus` when given, with `extraArgs` (a
 * cluster node's, say), and waits until it answers.
 */
export async function startRedis(
  port: number,
  cpus: string | undefined,
  binary = 'redis-server',
  extraArgs: readonly string[] = [],
): Promise<RedisProcess> {
  const pin = cpus ? ['taskset', '-c', cpus] : [];
  const [cmd, ...args] = [
    ...pin,
    binary,
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--protected-mode',
    'no',
    '--save',
    '',
    '--appendonly',
    'no',
    ...extraArgs,
  ];
  const child = spawn(cmd as string, args, { stdio: 'ignore' });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswersPing(port))) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const why = spawnError ? `: ${spawnError.message}` : '';
      throw new Error(`redis-server did not start on port ${port}${why} (Debian package redis-server)`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
