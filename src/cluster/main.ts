/**
 * `npm run start:cluster`: one Profile A worker per core (CLUSTER_WORKERS) on one port, with
 * node:cluster. The primary only starts, restarts and stops workers; node:cluster hands incoming
 * connections to the workers in turn. Workers share rooms and limits through Redis
 * (docs/CLUSTER.md). On SIGTERM/SIGINT every worker closes its clients with 1001 and the primary
 * exits 0 once all are gone.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadOrExit, loadSettings } from '../core/config/settings.js';
import { loadPolicies } from '../core/limiter/load-policies.js';
import { exitOnSignals } from '../core/runtime/signals.js';
import { PinoLogger } from '../telemetry/index.js';
import { ClusterMetrics } from './cluster-metrics.js';
import { PROFILE_ENTRIES } from '../core/runtime/profiles.js';
import { clusterWorkerEnv } from './worker-env.js';

/** A worker that exits on its own is started again after this pause. */
const RESTART_DELAY_MS = 1_000;

/** A worker's exit code for bad settings (loadOrExit): starting another would fail the same way. */
const CONFIG_ERROR_EXIT = 2;

// Bad settings stop the primary once, before any worker starts.
const settings = loadOrExit(() => loadSettings());
loadOrExit(() => loadPolicies(settings));
const workerEnv = loadOrExit(() => clusterWorkerEnv(process.env));
const logger = new PinoLogger(settings.logLevel, process.env.OTEL_SERVICE_NAME ?? 'chat-profile-a');
const workers = settings.clusterWorkers || availableParallelism();

cluster.setupPrimary({
  // each worker is Profile A, started as start:prod starts it (dist/cluster/ → dist/)
  exec: fileURLToPath(new URL(`../${PROFILE_ENTRIES.a}`, import.meta.url)),
  // the metrics messages carry NaN and Infinity (e.g. an idle event loop's lag), which JSON cannot
  serialization: 'advanced',
});

const liveWorkers = (): Worker[] =>
  Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
// GET /metrics on any worker answers for the whole cluster, assembled here
const metrics = new ClusterMetrics(liveWorkers);
cluster.on('message', (worker, message) => metrics.handle(worker, message));

let stopping = false;
const fork = (): Worker => cluster.fork(workerEnv);
cluster.on('exit', (worker, code, signal) => {
  metrics.workerGone(worker, !stopping && code !== CONFIG_ERROR_EXIT);
  if (stopping) return;
  if (code === CONFIG_ERROR_EXIT) {
    logger.error({ msg: 'worker refused its configuration; stopping', pid: worker.process.pid }, 'Cluster');
    void stopWorkers().then(() => process.exit(CONFIG_ERROR_EXIT));
    return;
  }
  logger.warn({ msg: 'worker exited; starting another', pid: worker.process.pid, code, signal }, 'Cluster');
  // not unref'd: with every worker gone, this timer is what keeps the primary alive
  setTimeout(() => {
    if (!stopping) fork();
  }, RESTART_DELAY_MS);
});
for (let i = 0; i < workers; i++) fork();
logger.log(
  { msg: 'cluster started', workers, CHAT_BUS: workerEnv.CHAT_BUS, LIMITER_STORE: workerEnv.LIMITER_STORE },
  'Cluster',
);

/** SIGTERM to every live worker (each closes its clients with 1001); resolves when all exited. */
async function stopWorkers(): Promise<void> {
  stopping = true;
  const alive = liveWorkers();
  logger.log({ msg: 'stopping workers', workers: alive.length }, 'Cluster');
  await Promise.all(
    alive.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          worker.process.kill('SIGTERM');
        }),
    ),
  );
}

exitOnSignals(stopWorkers, (err) => logger.error(err, 'Cluster'));
