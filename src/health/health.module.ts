import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LimiterModule } from '../limiter/limiter.module.js';
import { HealthController } from './health.controller.js';
import { LimiterStoreHealthIndicator } from './indicators/limiter-store.health.js';

@Module({
  imports: [TerminusModule, LimiterModule],
  controllers: [HealthController],
  providers: [LimiterStoreHealthIndicator],
})
export class HealthModule {}
