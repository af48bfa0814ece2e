import type { NestExpressApplication } from '@nestjs/platform-express';
import { ChatWsAdapter } from './chat/index.js';
import { HttpErrorFilter } from './common/index.js';
import { ConnectionRegistry } from './core/chat/connection-registry.js';
import { FrameAccounting } from './core/chat/frame-accounting.js';
import type { Settings } from './core/config/settings.js';
import { MAX_BODY_BYTES } from './core/limiter/limiter.js';

/**
 * What Profile A needs beyond its modules, for main.ts and for in-process tests alike. The app
 * must be created with `bodyParser: false`.
 */
export function configureApp(app: NestExpressApplication, settings: Settings): void {
  // Any content type is read as JSON (as Profile B does); a batch of 1000 requests fits in 1 MiB.
  app.useBodyParser('json', { limit: MAX_BODY_BYTES, type: () => true });
  app.useGlobalFilters(new HttpErrorFilter());
  // An API, not a website: no framework banner, no ETag hashing of every JSON answer.
  app.disable('x-powered-by');
  app.disable('etag');
  app.useWebSocketAdapter(new ChatWsAdapter(app, settings, app.get(ConnectionRegistry), app.get(FrameAccounting)));
}
