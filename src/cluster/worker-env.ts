import { SettingsError } from '../config/settings.js';

/**
 * What `npm run start:cluster` adds to its workers' environment: workers of one chat must share
 * their rooms (CHAT_BUS=redis) and their limiter state (LIMITER_STORE=redis). Unset, both default
 * to redis; set to the in-process value, start-up stops, since every worker would be a separate
 * chat and a separate limiter behind one port.
 */
export function clusterWorkerEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const problems: string[] = [];
  const pick = (name: string, local: string): string => {
    const value = env[name]?.trim() || 'redis';
    if (value === local) problems.push(`${name}=${local} cannot serve one chat from many workers; use ${name}=redis (or leave it unset)`);
    return value;
  };
  const result = { CHAT_BUS: pick('CHAT_BUS', 'local'), LIMITER_STORE: pick('LIMITER_STORE', 'memory') };
  if (problems.length > 0) throw new SettingsError(`invalid settings for start:cluster:\n  ${problems.join('\n  ')}`);
  return result;
}
