import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { ChatWsAdapter } from './chat/index.js';
import { HttpErrorFilter } from './common/index.js';
import { ConnectionRegistry } from './core/chat/connection-registry.js';
import { FrameAccounting } from './core/chat/frame-accounting.js';
import type { Settings } from './core/config/settings.js';

/**
 * Profile A's HTTP platform: Express with exact routes, as docs/CONTRACT.md says and Profile B
 * routes (Express, by default, also matches `/Health` and `/health/` to `/health`). Set before
 * Nest adds a route; give it to NestFactory.create.
 */
export function httpAdapter(): ExpressAdapter {
  const server = express();
  server.enable('case sensitive routing');
  server.enable('strict routing');
  return new ExpressAdapter(server);
}

/**
 * What Profile A needs beyond its modules, for main.ts and for in-process tests alike. The app
 * must be created with `bodyParser: false`.
 */
export function configureApp(app: NestExpressApplication, settings: Settings): void {
  // no global body parser: the decision routes read their bodies (LimiterHttpModule)
  app.useGlobalFilters(new HttpErrorFilter());
  // An API, not a website: no framework banner, no ETag hashing of every JSON answer.
  app.disable('x-powered-by');
  app.disable('etag');

  app.useWebSocketAdapter(new ChatWsAdapter(app, settings, app.get(ConnectionRegistry), app.get(FrameAccounting)));
}
