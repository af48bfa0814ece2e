import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { badJson, bodyTooLarge } from '../core/limiter/request-body.js';
import { RequestErrorException } from './request-error.exception.js';

/** The report of a @nestjs/terminus health check (`{status, info, error, details}`). */
function isHealthResult(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'status' in body && 'details' in body;
}

/** Error names for statuses Nest or Express may raise before a handler runs. */
const ERROR_NAMES: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/**
 * Every HTTP error as `{"error","message"}`, the body Profile B sends too. Malformed JSON
 * (body-parser's 400 with a SyntaxError) is `bad_json` and a body over the limit (its 413)
 * `payload_too_large`, both with Profile B's messages; anything that is not an HttpException is
 * a bug: logged, answered 500 `internal_error`.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof RequestErrorException) {
      res.status(exception.getStatus()).json(exception.requestError.body);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (isHealthResult(body)) {
        res.status(status).json(body); // a failed @nestjs/terminus check keeps its report
        return;
      }
      // body-parser's refusals, worded as Profile B words them
      if (status === 400 && exception.cause instanceof SyntaxError) {
        res.status(status).json(badJson().body);
        return;
      }
      if (status === 413) {
        res.status(status).json(bodyTooLarge().body);
        return;
      }
      res.status(status).json({ error: ERROR_NAMES[status] ?? `http_${status}`, message: exception.message });
      return;
    }
    this.logger.error(exception);
    res.status(500).json({ error: 'internal_error', message: 'internal server error' });
  }
}
