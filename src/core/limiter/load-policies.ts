import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Settings } from '../config/settings.js';
import { defaultPolicies, parsePolicies, type Policy, PolicyError } from './policy.js';

/**
 * The policies of this process: the file named by POLICIES_FILE (`.json`, or YAML for any other
 * name), or the built-in set. Throws a PolicyError that says what is wrong and where.
 */
export function loadPolicies(settings: Settings): Policy[] {
  const file = settings.policiesFile;
  const policies = file === undefined ? defaultPolicies(settings) : parsePolicies(readPolicyFile(file));
  const throttle = settings.httpThrottlePolicy;
  if (throttle !== undefined && !policies.some((p) => p.name === throttle)) {
    throw new PolicyError(`HTTP_THROTTLE_POLICY names '${throttle}', which is not a policy`);
  }
  return policies;
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
