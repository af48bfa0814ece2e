import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { ChatBusHealthIndicator } from './indicators/chat-bus.health.js';
import { LimiterStoreHealthIndicator } from './indicators/limiter-store.health.js';

/** `GET /health/live` and `/health/ready` (@nestjs/terminus), on the global chat and limiter modules. */
@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [LimiterStoreHealthIndicator, ChatBusHealthIndicator],
})
export class HealthModule {}
