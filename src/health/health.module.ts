import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ChatModule } from '../chat/chat.module.js';
import { LimiterModule } from '../limiter/limiter.module.js';
import { HealthController } from './health.controller.js';
import { ChatBusHealthIndicator } from './indicators/chat-bus.health.js';
import { LimiterStoreHealthIndicator } from './indicators/limiter-store.health.js';

@Module({
  imports: [TerminusModule, LimiterModule, ChatModule],
  controllers: [HealthController],
  providers: [LimiterStoreHealthIndicator, ChatBusHealthIndicator],
})
export class HealthModule {}
