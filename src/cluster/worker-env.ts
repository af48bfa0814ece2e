import { SettingsError } from '../core/config/settings.js';
import { CLUSTER_METRICS_ENV } from '../metrics/index.js';

/** Why each in-process setting cannot serve behind one port, in the terms of what it runs. */
const IN_PROCESS_REFUSALS = {
  CHAT_BUS: {
    local: 'local',
    why: 'CHAT_BUS=local would make each worker a chat of its own: members on different workers would not see each other, and each worker would count its own seq and members',
  },
  LIMITER_STORE: {
    local: 'memory',
    why: 'LIMITER_STORE=memory would give each worker its own limiter state: a subject whose requests are spread over N workers would be allowed up to N times its limit',
  },
} as const;

/**
 * What `npm run start:cluster` adds to its workers' environment: workers of one chat must share
 * their rooms (CHAT_BUS=redis) and their limiter state (LIMITER_STORE=redis). Unset, both default
 * to redis; set to the in-process value, start-up stops with the reason. And a marker that makes
 * each worker's /metrics answer for the whole cluster through this primary.
 */
export function clusterWorkerEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const problems: string[] = [];
  const pick = (name: keyof typeof IN_PROCESS_REFUSALS): string => {
    const value = env[name]?.trim() || 'redis';
    const refusal = IN_PROCESS_REFUSALS[name];
    if (value === refusal.local) problems.push(`${refusal.why}; use ${name}=redis (or leave it unset)`);
    return value;
  };
  const result = { CHAT_BUS: pick('CHAT_BUS'), LIMITER_STORE: pick('LIMITER_STORE'), [CLUSTER_METRICS_ENV]: '1' };
  if (problems.length > 0) throw new SettingsError(`invalid settings for start:cluster:\n  ${problems.join('\n  ')}`);
  return result;
}
