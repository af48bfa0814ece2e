/**
 * `GET /metrics` for the whole of `npm run start:cluster`, assembled in the primary. A scrape
 * reaches one worker; that worker asks here; the primary asks every ready worker for its registry
 * and answers with all of them in one text, each series labelled `worker="<id>"` (node:cluster's
 * worker id: a restarted worker gets a new one), plus the primary's own process metrics
 * (`worker="primary"`) and the cluster's state (`cluster_*`, unlabelled). Nothing is summed, so
 * every series belongs to one process for its whole life: its counters never go backwards, and
 * `sum without (worker)` in PromQL adds the workers up. A worker that does not answer in time is
 * left out of that scrape and counted in `cluster_scrape_missing_workers`; one still starting (it
 * has not said `metrics:ready`) is not asked yet, and one that exits is not waited for.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { type ClusterMetricsMessage, isClusterMetricsMessage, type MetricsJson } from '../metrics/index.js';

/** How long a scrape waits for each worker's registry. */
const COLLECT_TIMEOUT_MS = 2_000;

/** One scrape's wait for the workers' registries. */
interface Collection {
  readonly waitingFor: Set<number>;
  readonly answers: Map<number, MetricsJson>;
  readonly finish: () => void;
}

export class ClusterMetrics {
  private readonly primary = new Registry();
  private readonly ready = new Set<number>();
  private exits = 0;
  private nextId = 0;
  private readonly collections = new Map<number, Collection>();

  constructor(private readonly liveWorkers: () => Worker[]) {
    collectDefaultMetrics({ register: this.primary });
  }

  /** A worker is gone (on purpose or not): no scrape waits for it any more. */
  workerGone(worker: Worker, unexpected: boolean): void {
    if (unexpected) this.exits++;
    this.ready.delete(worker.id);
    for (const collection of this.collections.values()) {
      if (collection.waitingFor.delete(worker.id) && collection.waitingFor.size === 0) collection.finish();
    }
  }

  /** Answers the cluster's metrics messages from `worker`. */
  handle(worker: Worker, message: unknown): void {
    if (!isClusterMetricsMessage(message)) return;
    if (message.type === 'metrics:ready') {
      this.ready.add(worker.id);
    } else if (message.type === 'metrics:collected') {
      const collection = this.collections.get(message.id);
      if (collection === undefined || !collection.waitingFor.delete(worker.id)) return;
      if (message.metrics !== undefined) collection.answers.set(worker.id, message.metrics);
      if (collection.waitingFor.size === 0) collection.finish();
    } else if (message.type === 'metrics:scrape') {
      this.scrape().then(
        (text) => send(worker, { type: 'metrics:scraped', id: message.id, text }),
        (err: unknown) => send(worker, { type: 'metrics:scraped', id: message.id, error: String(err) }),
      );
    }
  }

  /** Every ready worker's registry, the primary's and the cluster's state, as one Prometheus text. */
  async scrape(): Promise<string> {
    const workers = this.liveWorkers().filter((w) => this.ready.has(w.id));
    const collected = await this.collect(workers);
    const sets: MetricsJson[] = [
      labelled(await this.primary.getMetricsAsJSON(), 'primary'),
      await this.state(workers.length - collected.size),
    ];
    for (const [id, metrics] of [...collected].sort(([a], [b]) => a - b)) sets.push(labelled(metrics, String(id)));
    return AggregatorRegistry.aggregate(sets).metrics();
  }

  /** The cluster's own figures, made for each scrape (concurrent scrapes each say their own). */
  private state(missing: number): Promise<MetricsJson> {
    const registry = new Registry();
    const registers = [registry];
    new Gauge({ name: 'cluster_workers', help: 'Live worker processes of start:cluster.', registers }).set(
      this.liveWorkers().length,
    );
    new Counter({
      name: 'cluster_worker_exits_total',
      help: 'Workers that exited while the cluster was not stopping (each is started again).',
      registers,
    }).inc(this.exits);
    new Gauge({
      name: 'cluster_scrape_missing_workers',
      help: 'Ready workers that did not give their metrics to this scrape in time.',
      registers,
    }).set(missing);
    return registry.getMetricsAsJSON();
  }

  /** Asks each worker for its registry; resolves with those that answered within the timeout. */
  private collect(workers: Worker[]): Promise<Map<number, MetricsJson>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const collection: Collection = {
        waitingFor: new Set(workers.map((w) => w.id)),
        answers: new Map(),
        finish: () => {
          clearTimeout(timer);
          this.collections.delete(id);
          resolve(collection.answers);
        },
      };
      const timer = setTimeout(collection.finish, COLLECT_TIMEOUT_MS);
      this.collections.set(id, collection);
      for (const worker of workers) send(worker, { type: 'metrics:collect', id });
      if (workers.length === 0) collection.finish();
    });
  }
}

function send(worker: Worker, message: ClusterMetricsMessage): void {
  if (worker.isConnected()) worker.send(message);
}

/**
 * Adds `worker` to every series. With every series' labels distinct, prom-client's aggregation
 * (here "first" for all) only joins the registries: nothing is summed, averaged or omitted.
 */
function labelled(metrics: MetricsJson, worker: string): MetricsJson {
  return metrics.map((metric) => ({
    ...metric,
    aggregator: 'first',
    values: metric.values.map((v) => ({ ...v, labels: { ...v.labels, worker } })),
  }));
}
