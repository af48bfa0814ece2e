import { type DynamicModule, Module } from '@nestjs/common';
import { ChatModule } from './chat/chat.module.js';
import { SettingsModule } from './common/settings.module.js';
import type { Settings } from './core/config/settings.js';
import { HealthModule } from './health/health.module.js';
import { LimiterHttpModule } from './limiter/http/limiter-http.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import type { Policy } from './core/limiter/policy.js';
import { StatusModule } from './status/status.module.js';
import { TelemetryModule } from './telemetry/telemetry.module.js';

@Module({})
export class AppModule {
  static forRoot(settings: Settings, policies: Policy[]): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SettingsModule.forRoot(settings, policies),
        MetricsModule,
        TelemetryModule,
        ChatModule,
        LimiterHttpModule,
        StatusModule,
        HealthModule,
      ],
    };
  }
}
