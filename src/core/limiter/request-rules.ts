/**
 * The rules of a decision request's fields that both profiles apply: Profile B in its
 * hand-written checks (src/baseline/decision-request.ts), Profile A in its class-validator DTO
 * (src/limiter/http/decision-request.dto.ts).
 */
import { MAX_SUBJECT_LENGTH } from './policy.js';

/**
 * A policy field: a non-empty, well-formed string. JSON's `\ud800` escapes can write a lone
 * surrogate, which no policy name holds; it is refused as malformed, not looked up.
 */
export function isPolicyName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.isWellFormed();
}

/** A subject field: a well-formed string (no lone surrogate) of 1 to MAX_SUBJECT_LENGTH UTF-16 units. */
export function isSubjectValue(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_SUBJECT_LENGTH && v.isWellFormed();
}

/** A cost: an integer >= 1. */
export function isCost(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

export const POLICY_RULE = 'must be a non-empty string of well-formed Unicode';
export const SUBJECT_VALUE_RULE = `must be a string of 1 to ${MAX_SUBJECT_LENGTH} characters of well-formed Unicode`;
export const COST_RULE = 'must be an integer >= 1';

/** `[i].` for batch item i: the prefix of field paths in error messages. */
export const batchPath = (i: number): string => `[${i}].`;
