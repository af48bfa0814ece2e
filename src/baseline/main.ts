/** Profile B entry point: `npm run start:baseline`. */
import { loadOrExit, loadSettings } from '../core/config/settings.js';
import { loadLimiterConfig } from '../core/limiter/load-policies.js';
import { STORE_CONNECT_WAIT_MS } from '../core/limiter/limiter.js';
import { WS_PATH } from '../core/protocol/contract.js';
import { exitOnSignals } from '../core/runtime/signals.js';
import { BaselineServer } from './baseline-server.js';
import { RlsServer } from './rls-server.js';

const log = (level: string, msg: string, fields: object = {}): void => {
  process.stdout.write(`${JSON.stringify({ time: Date.now(), level, profile: 'baseline', msg, ...fields })}\n`);
};

const settings = loadOrExit(() => loadSettings());
const config = loadOrExit(() => loadLimiterConfig(settings));
const server = new BaselineServer(settings, config.policies, {
  onDegradedChange: (degraded) =>
    degraded
      ? log('warn', 'Redis is failing; the failure mode answers', { mode: settings.failureMode })
      : log('info', 'Redis decides again'),
});
if (server.limiter.store.whenReady && !(await server.limiter.store.whenReady(STORE_CONNECT_WAIT_MS))) {
  log('warn', 'the limiter store is not reachable yet; decisions fall back until it is');
}
// Envoy's rate limit service, on the same limiter store as the HTTP API; up before /healthz is
const rls = settings.grpcPort === undefined ? undefined : new RlsServer(config.domains, server.limiter.store);
if (rls !== undefined) {
  const port = await rls.listen(settings.host, settings.grpcPort as number);
  log('info', 'grpc listening', { host: settings.host, port, service: 'envoy.service.ratelimit.v3.RateLimitService' });
}
const address = await server.listen();
log('info', 'listening', { host: address.address, port: address.port, path: WS_PATH });
exitOnSignals(
  async () => {
    log('info', 'shutting down', { connections: server.connections.size });
    await rls?.close();
    await server.shutdown();
  },
  (err) => log('error', 'shutdown failed', { error: String(err) }),
);
