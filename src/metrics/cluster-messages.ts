/**
 * The IPC messages by which one scrape of a `npm run start:cluster` worker answers for the whole
 * cluster: a worker says it can give its metrics (READY), a scraped worker asks the primary
 * (SCRAPE), the primary asks every ready worker for its registry (COLLECT / COLLECTED), joins them,
 * labelled by worker, and answers (SCRAPED: the text, or why there is none).
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Set by the start:cluster primary in its workers' environment: /metrics goes through it. */
export const CLUSTER_METRICS_ENV = 'START_CLUSTER_METRICS';

export type ClusterMetricsMessage =
  | { readonly type: 'metrics:ready' }
  | { readonly type: 'metrics:scrape'; readonly id: number }
  | { readonly type: 'metrics:scraped'; readonly id: number; readonly text?: string; readonly error?: string }
  | { readonly type: 'metrics:collect'; readonly id: number }
  | { readonly type: 'metrics:collected'; readonly id: number; readonly metrics?: MetricsJson };

export function isClusterMetricsMessage(message: unknown): message is ClusterMetricsMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('metrics:');
}
