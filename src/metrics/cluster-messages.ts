/**
 * The IPC messages by which one scrape of a `npm run start:cluster` worker answers for the whole
 * cluster: the worker asks the primary (SCRAPE), the primary asks every live worker for its
 * registry (COLLECT / COLLECTED), joins them, labelled by worker, and answers (SCRAPED).
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export type ClusterMetricsMessage =
  | { readonly type: 'metrics:scrape'; readonly id: number }
  | { readonly type: 'metrics:scraped'; readonly id: number; readonly text: string }
  | { readonly type: 'metrics:collect'; readonly id: number }
  | { readonly type: 'metrics:collected'; readonly id: number; readonly metrics: MetricsJson };

export function isClusterMetricsMessage(message: unknown): message is ClusterMetricsMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('metrics:');
}
