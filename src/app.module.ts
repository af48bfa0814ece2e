import { type DynamicModule, Module } from '@nestjs/common';
import { ChatModule } from './chat/index.js';
import { SettingsModule } from './common/index.js';
import type { Settings } from './core/config/settings.js';
import type { Policy } from './core/limiter/policy.js';
import type { Domains } from './core/limiter/rls/descriptors.js';
import { HealthModule } from './health/index.js';
import { LimiterGrpcModule, LimiterHttpModule, LimiterModule } from './limiter/index.js';
import { MetricsModule } from './metrics/index.js';
import { StatusModule } from './status/index.js';
import { TelemetryModule } from './telemetry/index.js';

/**
 * Profile A: the settings and policies read before Nest starts, as providers; metrics and
 * telemetry; the limiter and the chat as the settings configure them (global modules); the
 * decision API over HTTP, and Envoy's rate limit service over gRPC (served when the hybrid app
 * connects its transport); the contract's status routes and the orchestrators' health checks.
 */
@Module({})
export class AppModule {
  static forRoot(settings: Settings, policies: Policy[], domains: Domains = new Map()): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SettingsModule.forRoot(settings, policies),
        MetricsModule,
        TelemetryModule,
        LimiterModule.forRoot(settings, policies),
        ChatModule.forRoot(settings),
        LimiterHttpModule,
        LimiterGrpcModule.forRoot(domains),
        StatusModule,
        HealthModule,
      ],
    };
  }
}
