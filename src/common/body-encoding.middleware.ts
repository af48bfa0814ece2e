import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyEncodingError, declaresBody } from '../core/limiter/request-body.js';
import { RequestErrorException } from './request-error.exception.js';

/**
 * Runs before the JSON body parser: refuses, with Profile B's 415 `unsupported_media_type`, a
 * body in another charset than UTF-8 or with a Content-Encoding (src/core/limiter/request-body.ts).
 * body-parser alone would transcode any `utf-*` charset, answer 415 for other charsets only
 * after the 413 check for some of them, and inflate gzip, deflate and br bodies.
 */
export function refuseBodyEncoding(req: IncomingMessage, _res: ServerResponse, next: (error?: unknown) => void): void {
  const refused = declaresBody(req.headers) ? bodyEncodingError(req.headers) : undefined;
  next(refused === undefined ? undefined : new RequestErrorException(refused));
}
