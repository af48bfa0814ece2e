import cluster from 'node:cluster';
import { Global, Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { LimiterMetrics } from './limiter-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { CLUSTER_METRICS_ENV } from './cluster-messages.js';
import { ClusterWorkerMetrics, MetricsSource, ProcessMetrics } from './metrics-source.js';

/**
 * One prom-client Registry for the app, with the runtime's default metrics (event-loop lag, GC,
 * heap, CPU, handles). Chat and limiter metrics register on it from their modules. A worker of
 * `npm run start:cluster` answers /metrics for the whole cluster (ClusterWorkerMetrics).
 */
@Global()
@Module({
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        return registry;
      },
    },
    {
      provide: MetricsSource,
      // only a worker of our start:cluster: under another cluster host nothing would answer
      useFactory: (registry: Registry) =>
        cluster.isWorker && process.env[CLUSTER_METRICS_ENV] === '1'
          ? new ClusterWorkerMetrics(registry)
          : new ProcessMetrics(registry),
      inject: [Registry],
    },
    { provide: LimiterMetrics, useFactory: (registry: Registry) => new LimiterMetrics(registry), inject: [Registry] },
  ],
  controllers: [MetricsController],
  exports: [Registry, LimiterMetrics],
})
export class MetricsModule {}
