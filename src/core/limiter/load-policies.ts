import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Settings } from '../config/settings.js';
import { DEFAULT_DOMAINS, defaultPolicies, parsePolicies, type Policy, PolicyError } from './policy.js';
import { type Domains, parseDomains } from './rls/descriptors.js';

/** The limiter's configuration: its policies, and the domains of its gRPC rate limit service. */
export interface LimiterConfig {
  readonly policies: Policy[];
  readonly domains: Domains;
}

/**
 * The policies and domains of this process: the file named by POLICIES_FILE (`.json`, or YAML
 * for any other name), or the built-in set. Throws a PolicyError that says what is wrong and where.
 */
export function loadLimiterConfig(settings: Settings): LimiterConfig {
  const file = settings.policiesFile;
  const document = file === undefined ? undefined : readPolicyFile(file);
  const policies = document === undefined ? defaultPolicies(settings) : parsePolicies(document);
  const throttle = settings.httpThrottlePolicy;
  if (throttle !== undefined && !policies.some((p) => p.name === throttle)) {
    throw new PolicyError(`HTTP_THROTTLE_POLICY names '${throttle}', which is not a policy`);
  }
  const section = document === undefined ? DEFAULT_DOMAINS : (document as { domains?: unknown }).domains;
  return { policies, domains: parseDomains(section, policies) };
}

/** The policies alone (see loadLimiterConfig), the domains checked too. */
export function loadPolicies(settings: Settings): Policy[] {
  return loadLimiterConfig(settings).policies;
}

function readPolicyFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError(`POLICIES_FILE '${file}' cannot be read: ${(err as Error).message}`);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new PolicyError(
      `POLICIES_FILE '${file}' is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
}
