/**
 * `GET /metrics` for the whole of `npm run start:cluster`, assembled in the primary. A scrape
 * reaches one worker; that worker asks here; the primary asks every live worker for its registry
 * and answers with all of them in one text, each series labelled `worker="<id>"` (node:cluster's
 * worker id: a restarted worker gets a new one), plus the primary's own process metrics
 * (`worker="primary"`) and the cluster's state (`cluster_*`, unlabelled). Nothing is summed, so
 * every series belongs to one process for its whole life: its counters never go backwards, and
 * `sum by (...)` in PromQL adds the workers up. A worker that does not answer in time is left out
 * of that scrape and counted in `cluster_scrape_missing_workers`.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { type ClusterMetricsMessage, isClusterMetricsMessage, type MetricsJson } from '../metrics/cluster-messages.js';

/** How long a scrape waits for each worker's registry. */
const COLLECT_TIMEOUT_MS = 1_000;

export class ClusterMetrics {
  private readonly primary = new Registry();
  private readonly state = new Registry();
  private readonly exits: Counter;
  private readonly missing: Gauge;
  private nextId = 0;
  private readonly pending = new Map<number, (worker: Worker, metrics: MetricsJson) => void>();

  constructor(private readonly liveWorkers: () => Worker[]) {
    collectDefaultMetrics({ register: this.primary });
    const registers = [this.state];
    new Gauge({
      name: 'cluster_workers',
      help: 'Live worker processes of start:cluster.',
      registers,
      collect() {
        this.set(liveWorkers().length);
      },
    });
    this.exits = new Counter({ name: 'cluster_worker_exits_total', help: 'Workers that exited while the cluster was not stopping (each is started again).', registers });
    this.missing = new Gauge({ name: 'cluster_scrape_missing_workers', help: 'Live workers that did not give their metrics to this scrape in time.', registers });
  }

  /** A worker exited unexpectedly. */
  workerExited(): void {
    this.exits.inc();
  }

  /** Answers the cluster's metrics messages from `worker`. */
  handle(worker: Worker, message: unknown): void {
    if (!isClusterMetricsMessage(message)) return;
    if (message.type === 'metrics:collected') {
      this.pending.get(message.id)?.(worker, message.metrics);
    } else if (message.type === 'metrics:scrape') {
      void this.scrape().then((text) => send(worker, { type: 'metrics:scraped', id: message.id, text }));
    }
  }

  /** Every worker's registry, the primary's and the cluster's state, as one Prometheus text. */
  async scrape(): Promise<string> {
    const workers = this.liveWorkers();
    const collected = await this.collect(workers);
    this.missing.set(workers.length - collected.size);
    const sets: MetricsJson[] = [labelled(await this.primary.getMetricsAsJSON(), 'primary'), await this.state.getMetricsAsJSON()];
    for (const [id, metrics] of [...collected].sort(([a], [b]) => a - b)) sets.push(labelled(metrics, String(id)));
    return AggregatorRegistry.aggregate(sets).metrics();
  }

  /** Asks each worker for its registry; resolves with those that answered within the timeout. */
  private collect(workers: Worker[]): Promise<Map<number, MetricsJson>> {
    const id = this.nextId++;
    const answers = new Map<number, MetricsJson>();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(answers);
      };
      const timer = setTimeout(finish, COLLECT_TIMEOUT_MS);
      this.pending.set(id, (worker, metrics) => {
        answers.set(worker.id, metrics);
        if (answers.size === workers.length) finish();
      });
      for (const worker of workers) send(worker, { type: 'metrics:collect', id });
      if (workers.length === 0) finish();
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
