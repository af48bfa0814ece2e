import { HttpException } from '@nestjs/common';
import type { RequestError } from '../core/limiter/limiter.js';

/** A RequestError thrown through Nest; HttpErrorFilter writes its `{"error","message"}` body. */
export class RequestErrorException extends HttpException {
  constructor(readonly requestError: RequestError) {
    super(requestError.body, requestError.status);
  }
}
