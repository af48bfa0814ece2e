import { Global, Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { LimiterMetrics } from './limiter-metrics.js';
import { MetricsController } from './metrics.controller.js';

/**
 * One prom-client Registry for the app, with the runtime's default metrics (event-loop lag, GC,
 * heap, CPU, handles). Chat and limiter metrics register on it from their modules.
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
    { provide: LimiterMetrics, useFactory: (registry: Registry) => new LimiterMetrics(registry), inject: [Registry] },
  ],
  controllers: [MetricsController],
  exports: [Registry, LimiterMetrics],
})
export class MetricsModule {}
