import type { INestApplication } from '@nestjs/common';
import { type AbstractHttpAdapter, HttpAdapterHost } from '@nestjs/core';
import { ChatWsAdapter } from './chat/index.js';
import { HttpErrorFilter } from './common/index.js';
import { ConnectionRegistry } from './core/chat/connection-registry.js';
import { FrameAccounting } from './core/chat/frame-accounting.js';
import type { Settings } from './core/config/settings.js';

/** What each HTTP platform's module (src/platform/express.ts, src/platform/fastify.ts) provides. */
interface HttpPlatform {
  /** The adapter to give NestFactory.create, set up for the contract's exact routes. */
  createAdapter(): AbstractHttpAdapter;
  /** The platform's own settings for Profile A, applied once the app is created. */
  configureApp(app: INestApplication): void | Promise<void>;
}

/**
 * The module of the HTTP platform HTTP_PLATFORM names, loaded alone: Express-A never loads
 * Fastify and Fastify-A never loads Express, so neither pays for the other in memory.
 */
function platform(settings: Settings): Promise<HttpPlatform> {
  return settings.httpPlatform === 'fastify' ? import('./platform/fastify.js') : import('./platform/express.js');
}

/**
 * Profile A's HTTP platform, Express or Fastify as HTTP_PLATFORM says, with exact routes as
 * docs/CONTRACT.md says and Profile B routes. Give it to NestFactory.create, with
 * `bodyParser: false` (the decision routes read their bodies themselves: LimiterHttpModule).
 */
export async function httpAdapter(settings: Settings): Promise<AbstractHttpAdapter> {
  return (await platform(settings)).createAdapter();
}

/**
 * The HTTP side of Profile A beyond its modules: every HTTP error as `{"error","message"}`
 * (HttpErrorFilter) and the platform's own settings. The ledger's rungs apply it alone.
 */
export async function configureHttp(app: INestApplication, settings: Settings): Promise<void> {
  app.useGlobalFilters(new HttpErrorFilter(app.get(HttpAdapterHost)));
  await (await platform(settings)).configureApp(app);
}

/** What Profile A needs beyond its modules, for main.ts and for in-process tests alike. */
export async function configureApp(app: INestApplication, settings: Settings): Promise<void> {
  await configureHttp(app, settings);
  app.useWebSocketAdapter(new ChatWsAdapter(app, settings, app.get(ConnectionRegistry), app.get(FrameAccounting)));
}
