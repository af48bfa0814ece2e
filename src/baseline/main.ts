/** Profile B entry point: `npm run start:baseline`. */
import { loadOrExit, loadSettings } from '../core/config/settings.js';
import { loadPolicies } from '../core/limiter/load-policies.js';
import { STORE_CONNECT_WAIT_MS } from '../core/limiter/limiter.js';
import { WS_PATH } from '../core/protocol/contract.js';
import { exitOnSignals } from '../core/runtime/signals.js';
import { BaselineServer } from './baseline-server.js';

const log = (level: string, msg: string, fields: object = {}): void => {
  process.stdout.write(`${JSON.stringify({ time: Date.now(), level, profile: 'baseline', msg, ...fields })}\n`);
};

const settings = loadOrExit(() => loadSettings());
const server = new BaselineServer(
  settings,
  loadOrExit(() => loadPolicies(settings)),
  {
    onDegradedChange: (degraded) =>
      degraded
        ? log('warn', 'Redis is failing; the failure mode answers', { mode: settings.failureMode })
        : log('info', 'Redis decides again'),
  },
);
if (server.limiter.store.whenReady && !(await server.limiter.store.whenReady(STORE_CONNECT_WAIT_MS))) {
  log('warn', 'the limiter store is not reachable yet; decisions fall back until it is');
}
const address = await server.listen();
log('info', 'listening', { host: address.address, port: address.port, path: WS_PATH });
exitOnSignals(
  async () => {
    log('info', 'shutting down', { connections: server.connections.size });
    await server.shutdown();
  },
  (err) => log('error', 'shutdown failed', { error: String(err) }),
);
