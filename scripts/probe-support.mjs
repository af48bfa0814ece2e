/** What the quick probes share: free ports, CPU pinning, starting a profile from dist/. */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** Node arguments of each profile, as `npm run start:prod` / `start:baseline` run them. */
export const ENTRIES = {
  a: ['--import', './dist/telemetry/preload.js', 'dist/main.js'],
  b: ['dist/baseline/main.js'],
};

export const wait = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** `taskset -c <cpu>` as a command prefix, or nothing where taskset is missing. */
export function pin(cpu) {
  try {
    execFileSync('taskset', ['-c', cpu, 'true']);
    return ['taskset', '-c', cpu];
  } catch {
    return [];
  }
}

/** Starts profile `a` or `b` on CPU 0 with `env`; resolves once GET /health answers. */
export async function startProfile(profile, env = {}) {
  const entry = ENTRIES[profile];
  if (!entry) throw new Error(`profile must be a or b, got ${profile}`);
  const port = await freePort();
  const [cmd, ...args] = [...pin('0'), process.execPath, ...entry];
  const child = spawn(cmd, args, { env: { ...process.env, HOST: '127.0.0.1', ...env, PORT: String(port) }, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {}
    if (i > 200) throw new Error('server did not start');
    await wait(50);
  }
  return {
    child,
    port,
    base,
    stats: async () => (await fetch(`${base}/stats`)).json(),
  };
}
