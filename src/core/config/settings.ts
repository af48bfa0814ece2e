/**
 * Runtime settings, read from environment variables the same way by both profiles.
 * A bad value stops start-up with a message that names the variable.
 */

export interface Settings {
  /** TCP port of the HTTP server (WebSocket on `/ws`); 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  /** Largest accepted WebSocket message; a larger one closes the connection with 1009. */
  readonly maxFrameBytes: number;
  readonly maxRoomsPerConnection: number;
  /** Per-connection token bucket. */
  readonly rateLimitCapacity: number;
  readonly rateLimitRefillPerSec: number;
  /** Interval of WebSocket ping frames and of the dead-connection sweep. */
  readonly keepaliveIntervalMs: number;
  /** Unsent output above which a connection is dropped as a slow consumer. */
  readonly maxBufferedBytes: number;
  /** On SIGTERM/SIGINT, how long clients get to answer the 1001 close before being cut. */
  readonly shutdownGraceMs: number;

  // ---- rate-limiter service ----
  /** Where shared limiter state lives. */
  readonly limiterStore: 'memory' | 'redis';
  readonly redisUrl: string;
  /**
   * Seeds of a Redis Cluster (`host:port`, at least one): the limiter and the chat bus use the
   * cluster instead of REDIS_URL; undefined: one Redis at REDIS_URL.
   */
  readonly redisClusterNodes: readonly { host: string; port: number }[] | undefined;
  /** A Redis decision slower than this counts as a failure (and falls back). */
  readonly redisTimeoutMs: number;
  /** What answers while Redis cannot: the in-memory store, "allow all" or "deny all". */
  readonly failureMode: 'fail-over' | 'fail-open' | 'fail-closed';
  /** Consecutive Redis failures that open the circuit breaker. */
  readonly breakerFailures: number;
  /** The open breaker probes Redis at the next multiple of this on the clock (at most this long after it opened). */
  readonly breakerOpenMs: number;
  /** Longest time a denial from Redis is answered from the local cache (0: no cache). */
  readonly denyCacheMs: number;
  /** JSON or YAML policy file; empty for the built-in policies. */
  readonly policiesFile: string | undefined;
  /** Profile A: the policy that guards its own HTTP routes through @nestjs/throttler (empty: off). */
  readonly httpThrottlePolicy: string | undefined;
  /** Profile A: the least severe log level written (JSON lines on stdout). */
  readonly logLevel: 'info' | 'debug' | 'warn' | 'error' | 'silent';
  /** Port of Envoy's rate limit service over gRPC on HOST; undefined: not served. */
  readonly grpcPort: number | undefined;
  /** Profile A: the HTTP platform under Nest (src/app.setup.ts); Profile B ignores it. */
  readonly httpPlatform: 'express' | 'fastify';

  // ---- scale-out (Profile A) ----
  /** Where room events go: this process only, or Redis pub/sub shared by many processes. */
  readonly chatBus: 'local' | 'redis';
  /** A process silent on the bus for this long is presumed dead; its members are announced gone. */
  readonly chatBusNodeTimeoutMs: number;
  /** `npm run start:cluster`: worker processes (0: one per core). */
  readonly clusterWorkers: number;
}

type IntegerKey = {
  [K in keyof Settings]: Settings[K] extends number ? K : never;
}[keyof Settings];

interface IntegerSpec {
  readonly env: string;
  readonly key: IntegerKey;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly doc: string;
}

/** Every numeric setting, its variable, default and accepted range (the README table mirrors it). */
export const INTEGER_SETTINGS: readonly IntegerSpec[] = [
  { env: 'PORT', key: 'port', default: 3000, min: 0, max: 65535, doc: 'HTTP and WebSocket port (0: any free port)' },
  {
    env: 'MAX_FRAME_BYTES',
    key: 'maxFrameBytes',
    default: 4096,
    min: 64,
    max: 1048576,
    doc: 'largest client frame; larger closes with 1009',
  },
  {
    env: 'MAX_ROOMS_PER_CONNECTION',
    key: 'maxRoomsPerConnection',
    default: 8,
    min: 1,
    max: 1024,
    doc: 'rooms one connection may be in',
  },
  {
    env: 'RATE_LIMIT_CAPACITY',
    key: 'rateLimitCapacity',
    default: 10,
    min: 1,
    max: 1000000,
    doc: 'token bucket size per connection',
  },
  {
    env: 'RATE_LIMIT_REFILL_PER_SEC',
    key: 'rateLimitRefillPerSec',
    default: 10,
    min: 1,
    max: 1000000,
    doc: 'tokens added per second per connection',
  },
  {
    env: 'KEEPALIVE_INTERVAL_MS',
    key: 'keepaliveIntervalMs',
    default: 30000,
    min: 10,
    max: 3600000,
    doc: 'ping interval; silent connections are cut at the next tick',
  },
  {
    env: 'MAX_BUFFERED_BYTES',
    key: 'maxBufferedBytes',
    default: 1048576,
    min: 1024,
    max: 1073741824,
    doc: 'unsent output that drops a slow consumer',
  },
  {
    env: 'SHUTDOWN_GRACE_MS',
    key: 'shutdownGraceMs',
    default: 5000,
    min: 0,
    max: 9000,
    doc: 'wait for close handshakes on SIGTERM/SIGINT before cutting',
  },
  {
    env: 'REDIS_TIMEOUT_MS',
    key: 'redisTimeoutMs',
    default: 50,
    min: 1,
    max: 60000,
    doc: 'a slower Redis decision counts as a failure',
  },
  {
    env: 'BREAKER_FAILURES',
    key: 'breakerFailures',
    default: 5,
    min: 1,
    max: 1000,
    doc: 'consecutive Redis failures that open the breaker',
  },
  {
    env: 'BREAKER_OPEN_MS',
    key: 'breakerOpenMs',
    default: 1000,
    min: 10,
    max: 600000,
    doc: 'open breaker probes Redis at the next multiple of this',
  },
  {
    env: 'DENY_CACHE_MS',
    key: 'denyCacheMs',
    default: 250,
    min: 0,
    max: 60000,
    doc: 'longest local caching of a Redis denial (0: off)',
  },
  {
    env: 'CHAT_BUS_NODE_TIMEOUT_MS',
    key: 'chatBusNodeTimeoutMs',
    default: 3000,
    min: 150,
    max: 600000,
    doc: 'Profile A: a process silent on the bus this long is reaped',
  },
  {
    env: 'CLUSTER_WORKERS',
    key: 'clusterWorkers',
    default: 0,
    min: 0,
    max: 256,
    doc: 'npm run start:cluster: worker processes (0: one per core)',
  },
];

interface ChoiceSpec {
  readonly env: string;
  readonly key: 'limiterStore' | 'failureMode' | 'logLevel' | 'chatBus' | 'httpPlatform';
  readonly choices: readonly string[];
  readonly doc: string;
}

/** Settings with a fixed set of values; the first is the default. */
export const CHOICE_SETTINGS: readonly ChoiceSpec[] = [
  { env: 'LIMITER_STORE', key: 'limiterStore', choices: ['memory', 'redis'], doc: 'where limiter state lives' },
  {
    env: 'LIMITER_FAILURE_MODE',
    key: 'failureMode',
    choices: ['fail-over', 'fail-open', 'fail-closed'],
    doc: 'answer while Redis cannot: memory store, allow, or deny',
  },
  {
    env: 'LOG_LEVEL',
    key: 'logLevel',
    choices: ['info', 'debug', 'warn', 'error', 'silent'],
    doc: 'Profile A: least severe level logged',
  },
  {
    env: 'CHAT_BUS',
    key: 'chatBus',
    choices: ['local', 'redis'],
    doc: 'Profile A: room events in this process, or through Redis for many',
  },
  {
    env: 'HTTP_PLATFORM',
    key: 'httpPlatform',
    choices: ['express', 'fastify'],
    doc: "Profile A: Nest's HTTP platform (Profile B ignores it)",
  },
];

/** Every setting's variable (the README's settings table), for whoever records which were set. */
export function settingNames(): string[] {
  return [
    'HOST',
    'REDIS_URL',
    'POLICIES_FILE',
    'HTTP_THROTTLE_POLICY',
    'GRPC_PORT',
    'REDIS_CLUSTER_NODES',
    ...INTEGER_SETTINGS.map((s) => s.env),
    ...CHOICE_SETTINGS.map((s) => s.env),
  ];
}

/** Envoy's rate limit service's port when GRPC_PORT is unset (envoyproxy/ratelimit's too). */
export const DEFAULT_GRPC_PORT = 8081;

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export const DEFAULT_HOST = '127.0.0.1';

/** Names of limiter policies (they are part of Redis keys and HTTP headers). */
export const POLICY_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** A bad setting or configuration file: start-up stops with this message and exit code 2. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}

export class SettingsError extends ConfigError {
  override readonly name = 'SettingsError';
}

/** Reads settings from `env`; throws a SettingsError listing every bad variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const spec of INTEGER_SETTINGS) {
    const raw = env[spec.env];
    if (raw === undefined || raw === '') {
      values[spec.key] = spec.default;
      continue;
    }
    const value = /^[0-9]+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isSafeInteger(value) || value < spec.min || value > spec.max) {
      problems.push(`${spec.env} must be an integer from ${spec.min} to ${spec.max}, got '${raw}'`);
      continue;
    }
    values[spec.key] = value;
  }
  for (const spec of CHOICE_SETTINGS) {
    const raw = env[spec.env]?.trim();
    if (raw === undefined || raw === '') {
      values[spec.key] = spec.choices[0] as string;
    } else if (spec.choices.includes(raw)) {
      values[spec.key] = raw;
    } else {
      problems.push(`${spec.env} must be one of ${spec.choices.join(', ')}, got '${env[spec.env]}'`);
    }
  }
  const host = env.HOST === undefined || env.HOST === '' ? DEFAULT_HOST : env.HOST.trim();
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) {
    problems.push(`HOST must be a host name or IP address, got '${env.HOST}'`);
  }
  values.host = host;
  const redisUrl = env.REDIS_URL?.trim() || DEFAULT_REDIS_URL;
  if (!/^rediss?:\/\/\S+$/.test(redisUrl)) {
    problems.push(`REDIS_URL must be a redis:// or rediss:// URL, got '${env.REDIS_URL}'`);
  }
  values.redisUrl = redisUrl;
  const seeds = env.REDIS_CLUSTER_NODES?.trim();
  if (seeds) {
    const nodes = seeds.split(',').map((seed) => /^\[?([A-Za-z0-9.:_-]+?)\]?:([0-9]{1,5})$/.exec(seed.trim()));
    if (nodes.some((m) => m === null || Number(m[2]) < 1 || Number(m[2]) > 65535)) {
      problems.push(`REDIS_CLUSTER_NODES must be host:port seeds, comma-separated, got '${env.REDIS_CLUSTER_NODES}'`);
    }
    values.redisClusterNodes = nodes.map((m) => ({ host: m?.[1] as string, port: Number(m?.[2]) }));
  } else values.redisClusterNodes = undefined;
  values.policiesFile = env.POLICIES_FILE?.trim() || undefined;
  const throttle = env.HTTP_THROTTLE_POLICY?.trim() || undefined;
  if (throttle !== undefined && !POLICY_NAME_PATTERN.test(throttle)) {
    problems.push(`HTTP_THROTTLE_POLICY must be a policy name, got '${env.HTTP_THROTTLE_POLICY}'`);
  }
  values.httpThrottlePolicy = throttle;
  const grpc = env.GRPC_PORT?.trim() || String(DEFAULT_GRPC_PORT);
  const grpcPort = /^[0-9]+$/.test(grpc) ? Number(grpc) : NaN;
  if (grpc === 'off') values.grpcPort = undefined;
  else if (grpcPort >= 1 && grpcPort <= 65535) values.grpcPort = grpcPort;
  else problems.push(`GRPC_PORT must be a port from 1 to 65535, or off, got '${env.GRPC_PORT}'`);
  if (problems.length > 0) {
    throw new SettingsError(`invalid settings:\n  ${problems.join('\n  ')}`);
  }
  return values as unknown as Settings;
}

/** Entry-point helper: what `load` returns, or its ConfigError on stderr and exit code 2. */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
}
