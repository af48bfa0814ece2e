import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { SETTINGS } from '../../common/index.js';
import type { Settings } from '../../core/config/settings.js';
import { Limiter } from '../../core/limiter/limiter.js';
import { policyLimit } from '../../core/limiter/policy.js';
import { DecisionBodyPipe } from './decision-body.pipe.js';
import { LimiterController } from './limiter.controller.js';
import { LimiterThrottlerStorage } from './limiter-throttler.storage.js';

/**
 * The decision API over HTTP, and @nestjs/throttler guarding the app's HTTP routes with the
 * HTTP_THROTTLE_POLICY policy (off when the setting is empty; never on WebSocket frames).
 *
 * Only the decision routes read a body, as Profile B's (src/core/limiter/request-body.ts): UTF-8
 * only and never decompressed (415 first), any content type read as JSON, at most MAX_BODY_BYTES
 * (a batch of 1000 requests fits in 1 MiB). Any other route answers without reading one. On
 * Express this module gives the routes their body middleware (src/platform/express.ts, loaded on
 * Express only); on Fastify the adapter's route hook reads the body (src/platform/fastify.ts):
 * Nest middleware there matches paths more loosely than the router (`/v1/check/` too).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [Limiter, SETTINGS],
      useFactory: (limiter: Limiter, settings: Settings) => {
        const name = settings.httpThrottlePolicy;
        const policy = name === undefined ? undefined : limiter.policy(name);
        return {
          throttlers: [{ name: 'default', ttl: 1000, limit: policy ? policyLimit(policy) : 1 }],
          storage: policy ? new LimiterThrottlerStorage(limiter, policy) : undefined,
          skipIf: (context) => policy === undefined || context.getType() !== 'http',
        };
      },
    }),
  ],
  controllers: [LimiterController],
  providers: [DecisionBodyPipe, { provide: APP_GUARD, useClass: ThrottlerGuard }],
})
export class LimiterHttpModule implements NestModule {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async configure(consumer: MiddlewareConsumer): Promise<void> {
    if (this.adapterHost.httpAdapter.getType() !== 'express') return;
    const { expressDecisionBody } = await import('../../platform/express.js');
    consumer.apply(...expressDecisionBody()).forRoutes(LimiterController);
  }
}
