/**
 * The rules of a decision request's fields that both profiles apply: Profile B in its
 * hand-written checks (src/baseline/decision-request.ts), Profile A in its class-validator DTO
 * (src/limiter/http/decision-request.dto.ts).
 */
import { MAX_SUBJECT_LENGTH } from './policy.js';

/** A subject field: a string of 1 to MAX_SUBJECT_LENGTH UTF-16 units. */
export function isSubjectValue(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_SUBJECT_LENGTH;
}

/** A cost: an integer >= 1. */
export function isCost(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

export const SUBJECT_VALUE_RULE = `must be a string of 1 to ${MAX_SUBJECT_LENGTH} characters`;
export const COST_RULE = 'must be an integer >= 1';

/** `[i].` for batch item i: the prefix of field paths in error messages. */
export const batchPath = (i: number): string => `[${i}].`;
