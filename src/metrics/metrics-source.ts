import type { OnModuleDestroy } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { type ClusterMetricsMessage, isClusterMetricsMessage } from './cluster-messages.js';

/** What `GET /metrics` answers: the text of this process, or of the whole cluster it is part of. */
export interface MetricsSource {
  metrics(): Promise<string>;
}
export const MetricsSource = Symbol('MetricsSource');

/** A single process: its own registry. */
export class ProcessMetrics implements MetricsSource {
  constructor(private readonly registry: Registry) {}

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The primary's whole answer must come within this, or the scrape fails (503). */
const SCRAPE_TIMEOUT_MS = 5_000;

/**
 * A `npm run start:cluster` worker: a scrape answers for every worker of the cluster (each series
 * labelled with its `worker`), assembled by the primary (src/cluster/cluster-metrics.ts); and
 * this worker gives the primary its registry whenever any worker is scraped.
 */
export class ClusterWorkerMetrics implements MetricsSource, OnModuleDestroy {
  private nextId = 0;
  private readonly pending = new Map<number, (answer: { text?: string; error?: string }) => void>();
  private readonly onMessage = (message: unknown): void => {
    if (!isClusterMetricsMessage(message)) return;
    if (message.type === 'metrics:collect') {
      // a registry that fails to collect is answered empty: the primary counts this worker missing
      this.registry.getMetricsAsJSON().then(
        (metrics) => this.send({ type: 'metrics:collected', id: message.id, metrics }),
        () => this.send({ type: 'metrics:collected', id: message.id }),
      );
    } else if (message.type === 'metrics:scraped') {
      this.pending.get(message.id)?.(message);
    }
  };

  constructor(private readonly registry: Registry) {
    process.on('message', this.onMessage);
    this.send({ type: 'metrics:ready' });
  }

  metrics(): Promise<string> {
    if (!process.connected) return Promise.reject(new Error('this worker has lost the cluster primary'));
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the cluster primary did not answer the scrape within ${SCRAPE_TIMEOUT_MS} ms`));
      }, SCRAPE_TIMEOUT_MS);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new Error(`the cluster primary could not assemble the metrics: ${answer.error}`));
      });
      this.send({ type: 'metrics:scrape', id });
    });
  }

  onModuleDestroy(): void {
    process.off('message', this.onMessage);
  }

  private send(message: ClusterMetricsMessage): void {
    if (process.connected) process.send?.(message);
  }
}
