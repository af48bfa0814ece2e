/**
 * Hand-written shape checks of a decision request body: Profile B's validator. Profile A checks
 * the same rules with class-validator (src/limiter/http/decision-request.dto.ts); the API e2e
 * suite holds both to the same answers.
 */
import { type DecisionRequest, MAX_BATCH, RequestError } from '../core/limiter/limiter.js';
import { SCOPE_FIELDS } from '../core/limiter/policy.js';
import {
  COST_RULE,
  isCost,
  isPolicyName,
  isSubjectValue,
  POLICY_RULE,
  SUBJECT_VALUE_RULE,
} from '../core/limiter/request-rules.js';

const REQUEST_FIELDS = new Set(['policy', 'subject', 'cost']);
const SUBJECT_FIELDS: ReadonlySet<string> = new Set(SCOPE_FIELDS);

const invalid = (message: string) => new RequestError(400, 'invalid_request', message);

/** Checks one request object; `at` prefixes field paths (`[3].` inside a batch). */
export function checkDecisionRequest(value: unknown, at: string): DecisionRequest | RequestError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(`${at ? at.slice(0, -1) : 'body'} must be an object`);
  }
  const r = value as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!REQUEST_FIELDS.has(key)) return invalid(`${at}${key} is not a field`);
  if (!isPolicyName(r.policy)) return invalid(`${at}policy ${POLICY_RULE}`);
  const subject = r.subject;
  if (typeof subject !== 'object' || subject === null || Array.isArray(subject)) {
    return invalid(`${at}subject must be an object`);
  }
  for (const [key, v] of Object.entries(subject)) {
    if (!SUBJECT_FIELDS.has(key)) return invalid(`${at}subject.${key} is not a field`);
    if (!isSubjectValue(v)) return invalid(`${at}subject.${key} ${SUBJECT_VALUE_RULE}`);
  }
  if (r.cost !== undefined && !isCost(r.cost)) return invalid(`${at}cost ${COST_RULE}`);
  return r as unknown as DecisionRequest;
}

/** A parsed body: one request, or a batch of at most MAX_BATCH. */
export function checkDecisionBody(body: unknown): DecisionRequest | DecisionRequest[] | RequestError {
  if (!Array.isArray(body)) return checkDecisionRequest(body, '');
  if (body.length === 0) return invalid('a batch must hold at least one request');
  if (body.length > MAX_BATCH) {
    return new RequestError(400, 'batch_too_large', `a batch holds at most ${MAX_BATCH} requests, got ${body.length}`);
  }
  const requests: DecisionRequest[] = [];
  for (let i = 0; i < body.length; i++) {
    const r = checkDecisionRequest(body[i], `[${i}].`);
    if (r instanceof RequestError) return r;
    requests.push(r);
  }
  return requests;
}
