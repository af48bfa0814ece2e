/**
 * The framework-free core, as the harness (bench/) and the tests (test/) see it. The profiles
 * import its modules directly; everything outside src/ goes through this file.
 */
export {
  type AlgorithmDecision,
  type AlgorithmState,
  decide,
  initialState,
  mergeStates,
  spend,
} from './limiter/algorithms/index.js';
export { BusLink } from './bus/bus-link.js';
export { type ServerStats } from './chat/server-stats.js';
export { loadSettings, type Settings, settingNames } from './config/settings.js';
export type { LimiterStore, StoreDecision } from './limiter/limiter-store.js';
export { loadPolicies } from './limiter/load-policies.js';
export { MemoryLimiterStore } from './limiter/memory-limiter.store.js';
export { DEFAULT_DOMAINS, defaultPolicies, type Policy } from './limiter/policy.js';
export { RedisLimiterStore } from './limiter/redis/redis-limiter.store.js';
export { type Domains, matchDescriptor, parseDomains } from './limiter/rls/descriptors.js';
export { grpcAddress, loadRlsService } from './limiter/rls/proto.js';
export type { RateLimitRequest, RateLimitResponse } from './limiter/rls/rate-limit-service.js';
export { GO_REFERENCE_BINARY, PROFILE_ENTRIES, profileArgs, type ProfileName } from './runtime/profiles.js';
