import type { NestExpressApplication } from '@nestjs/platform-express';
import { ChatWsAdapter } from './chat/index.js';
import { HttpErrorFilter } from './common/index.js';
import { ConnectionRegistry } from './core/chat/connection-registry.js';
import { FrameAccounting } from './core/chat/frame-accounting.js';
import type { Settings } from './core/config/settings.js';

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
