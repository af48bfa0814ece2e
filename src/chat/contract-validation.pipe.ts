import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { FrameError } from '../core/protocol/frames.js';
import { ContractException } from './contract.exception.js';

function firstMessage(errors: ValidationError[]): string {
  const error = errors[0];
  const message = error?.constraints ? Object.values(error.constraints)[0] : undefined;
  return message ?? 'invalid message';
}

/**
 * Validates a message body against its DTO: wrong types, lengths and patterns, and any field the
 * DTO does not declare, become `invalid_message` with the client's id as `ref`.
 */
export const contractValidationPipe = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  // The exception factory reads the client's id from the target to echo it as `ref`.
  validationError: { target: true, value: false },
  exceptionFactory: (errors: ValidationError[]) => {
    const target = errors[0]?.target as { id?: unknown } | undefined;
    return new ContractException(new FrameError('invalid_message', firstMessage(errors), target?.id));
  },
});
