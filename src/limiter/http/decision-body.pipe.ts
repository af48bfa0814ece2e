import { Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { batchPath } from '../../core/limiter/request-rules.js';
import { type DecisionRequest, MAX_BATCH, RequestError } from '../../core/limiter/limiter.js';
import { DecisionRequestDto } from './decision-request.dto.js';
import { keySkippedByClassTransformer, nestedDeeperThan, RequestErrorException } from '../../common/index.js';

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, stopAtFirstError: true };

const refuse = (status: 400, error: 'invalid_request' | 'batch_too_large', message: string) =>
  new RequestErrorException(new RequestError(status, error, message));

/** `subject.user must be ...`: the first error with its property path. */
function describe(error: ValidationError, path = ''): string {
  const here = path + error.property;
  const child = error.children?.[0];
  if (child !== undefined) return describe(child, `${here}.`);
  // forbidNonWhitelisted's own message is `property x should not exist`; say it as Profile B does
  if (error.constraints?.whitelistValidation !== undefined) return `${here} is not a field`;
  const message = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
  // class-validator messages start with the property name; give the full path instead
  return message.startsWith(`${error.property} `) ? here + message.slice(error.property.length) : `${here}: ${message}`;
}

/** The body of a decision request: one DecisionRequestDto, or a batch of up to MAX_BATCH. */
@Injectable()
export class DecisionBodyPipe implements PipeTransform<unknown, DecisionRequest | DecisionRequest[]> {
  transform(body: unknown): DecisionRequest | DecisionRequest[] {
    if (!Array.isArray(body)) return this.one(body, '');
    if (body.length === 0) throw refuse(400, 'invalid_request', 'a batch must hold at least one request');
    if (body.length > MAX_BATCH) {
      throw refuse(400, 'batch_too_large', `a batch holds at most ${MAX_BATCH} requests, got ${body.length}`);
    }
    return body.map((item, i) => this.one(item, batchPath(i)));
  }

  private one(value: unknown, at: string): DecisionRequest {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw refuse(400, 'invalid_request', `${at ? at.slice(0, -1) : 'body'} must be an object`);
    }
    const subject = (value as { subject?: unknown }).subject;
    for (const [where, object] of [
      ['', value],
      ['subject.', subject],
    ] as const) {
      const skipped = typeof object === 'object' && object !== null ? keySkippedByClassTransformer(object) : undefined;
      if (skipped !== undefined) throw refuse(400, 'invalid_request', `${at}${where}${skipped} is not a field`);
    }
    // a request is an object of scalars and one subject object of scalars: nothing deeper is
    // valid, and class-transformer would recurse into it without bound
    if (nestedDeeperThan(value, 2)) throw refuse(400, 'invalid_request', `${at}a field is nested too deeply`);
    const dto = plainToInstance(DecisionRequestDto, value);
    const errors = validateSync(dto, OPTIONS);
    if (errors.length > 0) throw refuse(400, 'invalid_request', at + describe(errors[0] as ValidationError));
    return dto;
  }
}
