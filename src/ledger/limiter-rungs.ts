/**
 * The rungs of the limiter's ledger (issue 15, `npm run bench:ledger -- limiter`): Nest apps
 * between Profile B and Profile A, each a real composition of A's own modules with one layer more
 * than the rung before. Bench only: the production path (src/main.ts) never reads LEDGER_RUNG.
 *
 *   nest           Nest on A's HTTP platform (Express or Fastify, as HTTP_PLATFORM says; exact
 *                  routes), the body read as A reads it, a plain controller calling the core's
 *                  Limiter on a memory store
 *   pipe           + A's LimiterController with its DecisionBodyPipe (class-transformer,
 *                  class-validator on the DTO)
 *   http-module    + A's LimiterHttpModule (the throttler guard, the body-encoding middleware),
 *                  A's exception filter and platform settings
 *   limiter-module + A's LimiterModule and MetricsModule (the store counted and traced, DI)
 *   (A itself adds telemetry, the chat, status and health modules and the WebSocket adapter.)
 */
import {
  Body,
  Controller,
  type DynamicModule,
  Get,
  Global,
  HttpCode,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  Post,
  Res,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SettingsModule } from '../common/index.js';
import type { Settings } from '../core/config/settings.js';
import { HEALTH_BODY, serverStats, type ServerStats } from '../core/chat/server-stats.js';
import { type DecisionRequest, Limiter, rateLimitHeaders } from '../core/limiter/limiter.js';
import { MemoryLimiterStore } from '../core/limiter/memory-limiter.store.js';
import type { Policy } from '../core/limiter/policy.js';
import { batchPath } from '../core/limiter/request-rules.js';
import { DecisionBodyPipe, LimiterController, LimiterHttpModule, LimiterModule } from '../limiter/index.js';
import { MetricsModule } from '../metrics/index.js';

export const LIMITER_RUNGS = ['nest', 'pipe', 'http-module', 'limiter-module'] as const;
export type LimiterRung = (typeof LIMITER_RUNGS)[number];

/** What the harness needs of every server: /health to wait for, /stats to read. */
@Controller()
class LedgerStatusController {
  @Get('health')
  health(): typeof HEALTH_BODY {
    return HEALTH_BODY;
  }

  @Get('stats')
  stats(): ServerStats {
    return serverStats(0, 0);
  }
}

/**
 * `nest`: the decision route with no pipe, guard, filter or interceptor: the body as parsed. It
 * checks nothing (the ledger's load is valid), so it is no server to face clients with.
 */
@Controller('v1')
class PlainLimiterController {
  constructor(
    private readonly limiter: Limiter,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Post('check_and_consume')
  @HttpCode(200)
  async consume(@Body() body: DecisionRequest | DecisionRequest[], @Res({ passthrough: true }) res: unknown) {
    if (Array.isArray(body)) return this.limiter.decideAll(body, true, batchPath);
    const result = await this.limiter.decideOne(body, true);
    if ('policy' in result) {
      for (const [name, value] of rateLimitHeaders(this.limiter.policy(result.policy) as Policy, result))
        this.adapterHost.httpAdapter.setHeader(res, name, value);
    }
    return result;
  }
}

/** The core's Limiter on a plain memory store, for the rungs below LimiterModule. */
@Global()
@Module({})
class PlainLimiterModule {
  static forRoot(policies: Policy[]): DynamicModule {
    return {
      module: PlainLimiterModule,
      providers: [{ provide: Limiter, useFactory: () => new Limiter(policies, new MemoryLimiterStore()) }],
      exports: [Limiter],
    };
  }
}

/**
 * The decision route's body parser, as LimiterHttpModule applies it, for the rungs without that
 * module: body-parser on Express; on Fastify the adapter's route hook reads it (src/platform/fastify.ts).
 */
@Module({})
class BodyModule implements NestModule {
  static with(controller: new (...args: never[]) => unknown, providers: (new (...args: never[]) => unknown)[] = []) {
    return { module: BodyModule, controllers: [controller], providers };
  }

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async configure(consumer: MiddlewareConsumer): Promise<void> {
    if (this.adapterHost.httpAdapter.getType() !== 'express') return;
    const { expressJsonBody } = await import('../platform/express.js');
    consumer.apply(expressJsonBody()).forRoutes('v1');
  }
}

@Module({})
export class LedgerModule {
  static forRung(rung: LimiterRung, settings: Settings, policies: Policy[]): DynamicModule {
    const base = [SettingsModule.forRoot(settings, policies)];
    const imports: DynamicModule['imports'] =
      rung === 'nest'
        ? [...base, PlainLimiterModule.forRoot(policies), BodyModule.with(PlainLimiterController)]
        : rung === 'pipe'
          ? [...base, PlainLimiterModule.forRoot(policies), BodyModule.with(LimiterController, [DecisionBodyPipe])]
          : rung === 'http-module'
            ? [...base, PlainLimiterModule.forRoot(policies), LimiterHttpModule]
            : [...base, MetricsModule, LimiterModule.forRoot(settings, policies), LimiterHttpModule];
    return { module: LedgerModule, imports, controllers: [LedgerStatusController] };
  }
}

/** The app-wide pieces A sets in configureHttp (src/app.setup.ts), from the `http-module` rung on. */
export const APP_LAYERS_FROM: LimiterRung = 'http-module';
