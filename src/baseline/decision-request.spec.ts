import { describe, expect, it } from 'vitest';
import { checkDecisionBody, checkDecisionRequest } from './decision-request.js';
import { RequestError } from '../core/limiter/limiter.js';
import {
  batchPath,
  COST_RULE,
  isCost,
  isPolicyName,
  isSubjectValue,
  POLICY_RULE,
  SUBJECT_VALUE_RULE,
} from '../core/limiter/request-rules.js';

const invalid = (message: string) => new RequestError(400, 'invalid_request', message);
const ok = { policy: 'tiny', subject: { ip: 'a' } };

describe('isSubjectValue', () => {
  it.each([
    ['a', true],
    ['x'.repeat(256), true],
    ['', false],
    ['x'.repeat(257), false],
    [5, false],
    [null, false],
    [undefined, false],
    [['a'], false],
    ['\ud83d\ude00', true], // a surrogate pair: one well-formed character
    ['\ufffd', true],
    ['\ud800', false], // lone surrogates: JSON can write them (`\ud800`), Unicode text cannot
    ['\udc00', false],
    ['a\ud800b', false],
    ['\ude00\ud83d', false], // the pair in the wrong order
    ['\ud83d\ude00\ud83d', false],
    ['\ud800'.padEnd(256, 'x'), false],
  ])('%j -> %s', (value, expected) => {
    expect(isSubjectValue(value)).toBe(expected);
  });
});

describe('isPolicyName', () => {
  it.each([
    ['a', true],
    ['per-user', true],
    ['x'.repeat(1000), true], // no policy has it, but the lookup answers that (404)
    ['\ud83d\ude00', true],
    ['', false],
    ['\ud800', false],
    ['tiny\udfff', false],
    [5, false],
    [null, false],
    [undefined, false],
    [['a'], false],
  ])('%j -> %s', (value, expected) => {
    expect(isPolicyName(value)).toBe(expected);
  });
});

describe('isCost', () => {
  it.each([
    [1, true],
    [2, true],
    [1e9, true],
    [Number.MAX_SAFE_INTEGER, true],
    [0, false],
    [-1, false],
    [1.5, false],
    [0.5, false],
    [2 ** 53, false],
    [Number.POSITIVE_INFINITY, false],
    [Number.NaN, false],
    ['2', false],
    [null, false],
  ])('%j -> %s', (value, expected) => {
    expect(isCost(value)).toBe(expected);
  });
});

describe('rules in messages', () => {
  it('say what a policy, a subject value and a cost must be', () => {
    expect(POLICY_RULE).toBe('must be a non-empty string of well-formed Unicode');
    expect(SUBJECT_VALUE_RULE).toBe('must be a string of 1 to 256 characters of well-formed Unicode');
    expect(COST_RULE).toBe('must be an integer >= 1');
  });
});

describe('checkDecisionRequest', () => {
  it('returns a good request as it is, with or without cost and with extra subject fields', () => {
    const full = { policy: 'p', subject: { user: 'u', ip: 'i', route: 'r', client: 'c' }, cost: 3 };
    expect(checkDecisionRequest(full, '')).toBe(full);
    expect(checkDecisionRequest(ok, '[0].')).toBe(ok);
    const noSubjectFields = { policy: 'p', subject: {} };
    expect(checkDecisionRequest(noSubjectFields, '')).toBe(noSubjectFields);
    const explicitUndefinedCost = { policy: 'p', subject: {}, cost: undefined };
    expect(checkDecisionRequest(explicitUndefinedCost, '')).toBe(explicitUndefinedCost);
  });

  // The refusal table of test/limiter-api.e2e-spec.ts, with each exact message.
  it.each([
    ['a string', 'tiny', 'body must be an object'],
    ['a number', 5, 'body must be an object'],
    ['null', null, 'body must be an object'],
    ['undefined', undefined, 'body must be an object'],
    ['an array', [ok], 'body must be an object'],
    ['missing policy', { subject: { ip: 'a' } }, 'policy must be a non-empty string of well-formed Unicode'],
    ['empty policy', { policy: '', subject: { ip: 'a' } }, 'policy must be a non-empty string of well-formed Unicode'],
    [
      'policy not a string',
      { policy: 5, subject: { ip: 'a' } },
      'policy must be a non-empty string of well-formed Unicode',
    ],
    ['missing subject', { policy: 'tiny' }, 'subject must be an object'],
    ['subject a string', { policy: 'tiny', subject: 'a' }, 'subject must be an object'],
    ['subject null', { policy: 'tiny', subject: null }, 'subject must be an object'],
    ['subject an array', { policy: 'tiny', subject: ['a'] }, 'subject must be an object'],
    [
      'subject field not a string',
      { policy: 'tiny', subject: { ip: 5 } },
      'subject.ip must be a string of 1 to 256 characters of well-formed Unicode',
    ],
    [
      'subject field empty',
      { policy: 'tiny', subject: { user: '' } },
      'subject.user must be a string of 1 to 256 characters of well-formed Unicode',
    ],
    [
      'subject field too long',
      { policy: 'tiny', subject: { ip: 'x'.repeat(257) } },
      'subject.ip must be a string of 1 to 256 characters of well-formed Unicode',
    ],
    ['unknown subject field', { policy: 'tiny', subject: { ip: 'a', tenant: 'b' } }, 'subject.tenant is not a field'],
    ['unknown field', { policy: 'tiny', subject: { ip: 'a' }, weight: 1 }, 'weight is not a field'],
    [
      '__proto__ field',
      JSON.parse('{"policy":"tiny","subject":{"ip":"a"},"__proto__":{}}'),
      '__proto__ is not a field',
    ],
    [
      '__proto__ subject field',
      JSON.parse('{"policy":"tiny","subject":{"__proto__":"a"}}'),
      'subject.__proto__ is not a field',
    ],
    ['cost 0', { ...ok, cost: 0 }, 'cost must be an integer >= 1'],
    ['fractional cost', { ...ok, cost: 1.5 }, 'cost must be an integer >= 1'],
    ['cost as a string', { ...ok, cost: '2' }, 'cost must be an integer >= 1'],
    ['cost null', { ...ok, cost: null }, 'cost must be an integer >= 1'],
    [
      'a lone surrogate in a subject field',
      { policy: 'tiny', subject: { ip: 'a\udc00' } },
      'subject.ip must be a string of 1 to 256 characters of well-formed Unicode',
    ],
    [
      'a lone surrogate in the policy',
      { policy: '\ud800', subject: { ip: 'a' } },
      'policy must be a non-empty string of well-formed Unicode',
    ],
  ])('refuses %s', (_name, body, message) => {
    expect(checkDecisionRequest(body, '')).toEqual(invalid(message));
  });

  it('checks fields in order: unknown fields, policy, subject, subject fields, cost', () => {
    expect(checkDecisionRequest({ cost: 0, subject: 5, policy: '', extra: 1 }, '')).toEqual(
      invalid('extra is not a field'),
    );
    expect(checkDecisionRequest({ cost: 0, subject: 5, policy: '' }, '')).toEqual(
      invalid('policy must be a non-empty string of well-formed Unicode'),
    );
    expect(checkDecisionRequest({ cost: 0, subject: 5, policy: 'p' }, '')).toEqual(
      invalid('subject must be an object'),
    );
    expect(checkDecisionRequest({ cost: 0, subject: { ip: '', nope: 'a' }, policy: 'p' }, '')).toEqual(
      invalid('subject.ip must be a string of 1 to 256 characters of well-formed Unicode'),
    );
    expect(checkDecisionRequest({ cost: 0, subject: { nope: 5 }, policy: 'p' }, '')).toEqual(
      invalid('subject.nope is not a field'),
    );
    expect(checkDecisionRequest({ cost: 0, subject: { ip: 'a' }, policy: 'p' }, '')).toEqual(
      invalid('cost must be an integer >= 1'),
    );
  });

  it('prefixes each field path with the batch position', () => {
    expect(checkDecisionRequest(5, '[3].')).toEqual(invalid('[3] must be an object'));
    expect(checkDecisionRequest({ ...ok, weight: 1 }, '[3].')).toEqual(invalid('[3].weight is not a field'));
    expect(checkDecisionRequest({ subject: {} }, '[3].')).toEqual(
      invalid('[3].policy must be a non-empty string of well-formed Unicode'),
    );
    expect(checkDecisionRequest({ policy: 'p' }, '[3].')).toEqual(invalid('[3].subject must be an object'));
    expect(checkDecisionRequest({ policy: 'p', subject: { x: 'a' } }, '[3].')).toEqual(
      invalid('[3].subject.x is not a field'),
    );
    expect(checkDecisionRequest({ policy: 'p', subject: { ip: '' } }, '[3].')).toEqual(
      invalid('[3].subject.ip must be a string of 1 to 256 characters of well-formed Unicode'),
    );
    expect(checkDecisionRequest({ ...ok, cost: 0 }, '[3].')).toEqual(invalid('[3].cost must be an integer >= 1'));
  });
});

describe('checkDecisionBody', () => {
  it('checks a single request', () => {
    expect(checkDecisionBody(ok)).toBe(ok);
    expect(checkDecisionBody({})).toEqual(invalid('policy must be a non-empty string of well-formed Unicode'));
    expect(checkDecisionBody('tiny')).toEqual(invalid('body must be an object'));
  });

  it('checks a batch of 1 to 1000 requests, in order', () => {
    const a = { policy: 'a', subject: {} };
    const b = { policy: 'b', subject: { ip: 'x' }, cost: 2 };
    const batch = checkDecisionBody([a, b]);
    expect(batch).toEqual([a, b]);
    expect((batch as unknown[])[0]).toBe(a);
    expect(checkDecisionBody([a])).toEqual([a]);
    const largest = checkDecisionBody(Array(1000).fill(ok));
    expect(Array.isArray(largest) && largest.length).toBe(1000);
  });

  it('refuses an empty batch', () => {
    expect(checkDecisionBody([])).toEqual(invalid('a batch must hold at least one request'));
  });

  it('refuses a batch of more than 1000 requests', () => {
    const refused = checkDecisionBody(Array(1001).fill(ok));
    expect(refused).toEqual(new RequestError(400, 'batch_too_large', 'a batch holds at most 1000 requests, got 1001'));
  });

  it('refuses a whole batch at its first bad item, naming it', () => {
    expect(checkDecisionBody([ok, { policy: 'tiny', subject: { ip: 5 } }, 5])).toEqual(
      invalid('[1].subject.ip must be a string of 1 to 256 characters of well-formed Unicode'),
    );
    expect(checkDecisionBody([ok, 5])).toEqual(invalid('[1] must be an object'));
    expect(checkDecisionBody([[ok]])).toEqual(invalid('[0] must be an object'));
    expect(checkDecisionBody([ok, ok, ok, { ...ok, cost: 0 }])).toEqual(invalid('[3].cost must be an integer >= 1'));
  });
});

describe('batchPath', () => {
  it('is the prefix of item i', () => {
    expect(batchPath(0)).toBe('[0].');
    expect(batchPath(12)).toBe('[12].');
  });
});
