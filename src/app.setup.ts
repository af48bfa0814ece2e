import type { NestExpressApplication } from '@nestjs/platform-express';
import { ChatWsAdapter } from './chat/index.js';
import { HttpErrorFilter, refuseBodyEncoding } from './common/index.js';
import { ConnectionRegistry } from './core/chat/connection-registry.js';
import { FrameAccounting } from './core/chat/frame-accounting.js';
import type { Settings } from './core/config/settings.js';
import { MAX_BODY_BYTES } from './core/limiter/limiter.js';

/**
 * What Profile A needs beyond its modules, for main.ts and for in-process tests alike. The app
 * must be created with `bodyParser: false`.
 */
export function configureApp(app: NestExpressApplication, settings: Settings): void {
  // Bodies are read as Profile B reads them (src/core/limiter/request-body.ts): UTF-8 only and
  // never decompressed (415 first; `inflate: false` is a second guard), any content type read as
  // JSON; a batch of 1000 requests fits in 1 MiB.
  app.use(refuseBodyEncoding);
  app.useBodyParser('json', { limit: MAX_BODY_BYTES, type: () => true, inflate: false });
  app.useGlobalFilters(new HttpErrorFilter());
  // An API, not a website: no framework banner, no ETag hashing of every JSON answer.
  app.disable('x-powered-by');
  app.disable('etag');
  app.useWebSocketAdapter(new ChatWsAdapter(app, settings, app.get(ConnectionRegistry), app.get(FrameAccounting)));
}
