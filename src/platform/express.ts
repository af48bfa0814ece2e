/**
 * Profile A on Express (HTTP_PLATFORM=express, the default): what only Express needs. Loaded by
 * src/app.setup.ts (and LimiterHttpModule) on Express only, so Fastify-A never loads Express.
 */
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express, { json, type RequestHandler } from 'express';
import { refuseBodyEncoding } from '../common/index.js';
import { MAX_BODY_BYTES } from '../core/limiter/limiter.js';

/**
 * Express with exact routes, as docs/CONTRACT.md says and Profile B routes (Express, by default,
 * also matches `/Health` and `/health/` to `/health`). Set before Nest adds a route.
 */
export function createAdapter(): ExpressAdapter {
  const server = express();
  server.enable('case sensitive routing');
  server.enable('strict routing');
  return new ExpressAdapter(server);
}

/** An API, not a website: no framework banner, no ETag hashing of every JSON answer. */
export function configureApp(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  app.disable('etag');
}

/**
 * body-parser's JSON parser as the decision routes use it: any content type read as JSON, up to
 * MAX_BODY_BYTES, never decompressed (`inflate: false`).
 */
export function expressJsonBody(): RequestHandler {
  return json({ limit: MAX_BODY_BYTES, type: () => true, inflate: false });
}

/**
 * The middleware that reads a decision route's body on Express (LimiterHttpModule), as Profile
 * B reads it (src/core/limiter/request-body.ts): refuseBodyEncoding answers 415 for a charset
 * other than UTF-8 or any Content-Encoding first (body-parser alone would transcode any `utf-*`
 * charset and inflate gzip, deflate and br bodies), then body-parser's JSON parser.
 */
export function expressDecisionBody(): RequestHandler[] {
  return [refuseBodyEncoding, expressJsonBody()];
}
