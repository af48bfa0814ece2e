/** Profile A's metrics, as the other feature folders use them. */
export { registerChatBusMetrics, registerChatMetrics } from './chat-metrics.js';
export {
  CLUSTER_METRICS_ENV,
  type ClusterMetricsMessage,
  isClusterMetricsMessage,
  type MetricsJson,
} from './cluster-messages.js';
export { LimiterMetrics } from './limiter-metrics.js';
export { MetricsModule } from './metrics.module.js';
