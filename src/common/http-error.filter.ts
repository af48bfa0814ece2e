import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { badJson, bodyTooLarge } from '../core/limiter/request-body.js';
import { RequestErrorException } from './request-error.exception.js';

/** The report of a @nestjs/terminus health check (`{status, info, error, details}`). */
function isHealthResult(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'status' in body && 'details' in body;
}

/** Error names for statuses Nest or its HTTP platform may raise before a handler runs. */
const ERROR_NAMES: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

interface Answer {
  readonly status: number;
  readonly body: object;
}

/**
 * Every HTTP error as `{"error","message"}`, the body Profile B sends too. Malformed JSON
 * (Express' body-parser: a 400 with a SyntaxError) is `bad_json` and a body over the limit (its
 * 413) `payload_too_large`, both with Profile B's messages; anything that is not an HttpException
 * is a bug: logged, answered 500 `internal_error`. The answer goes through Nest's HTTP adapter,
 * so the filter serves Express and Fastify alike.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const { status, body } = this.answer(exception);
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, status);
  }

  private answer(exception: unknown): Answer {
    if (exception instanceof RequestErrorException) {
      return { status: exception.getStatus(), body: exception.requestError.body };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (isHealthResult(body)) return { status, body: body as object }; // a failed @nestjs/terminus check keeps its report
      // body-parser's refusals, worded as Profile B words them
      if (status === 400 && exception.cause instanceof SyntaxError) {
        return { status, body: badJson().body };
      }
      if (status === 413) return { status, body: bodyTooLarge().body };
      return { status, body: { error: ERROR_NAMES[status] ?? `http_${status}`, message: exception.message } };
    }
    this.logger.error(exception);
    return { status: 500, body: { error: 'internal_error', message: 'internal server error' } };
  }
}
