import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, MemoryHealthIndicator } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { getHeapStatistics } from 'node:v8';
import { ChatBusHealthIndicator } from './indicators/chat-bus.health.js';
import { LimiterStoreHealthIndicator } from './indicators/limiter-store.health.js';

/** The heap may grow to 90% of V8's limit before the process reports itself unhealthy. */
const HEAP_THRESHOLD = Math.floor(getHeapStatistics().heap_size_limit * 0.9);

/** Probes for orchestrators. `GET /health` (the contract's) stays in StatusController. */
@Controller('health')
@SkipThrottle()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly memory: MemoryHealthIndicator,
    private readonly limiterStore: LimiterStoreHealthIndicator,
    private readonly chatBus: ChatBusHealthIndicator,
  ) {}

  /** The process runs and its heap is below the threshold. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.memory.checkHeap('heap', HEAP_THRESHOLD)]);
  }

  /** The app can serve: the limiter can decide, room events reach every process (see indicators/). */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.limiterStore.isHealthy('limiter'), () => this.chatBus.isHealthy('chatBus')]);
  }
}
