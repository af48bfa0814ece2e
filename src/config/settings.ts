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
}

interface IntegerSpec {
  readonly env: string;
  readonly key: Exclude<keyof Settings, 'host'>;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly doc: string;
}

/** Every numeric setting, its variable, default and accepted range (the README table mirrors it). */
export const INTEGER_SETTINGS: readonly IntegerSpec[] = [
  { env: 'PORT', key: 'port', default: 3000, min: 0, max: 65535, doc: 'HTTP and WebSocket port (0: any free port)' },
  { env: 'MAX_FRAME_BYTES', key: 'maxFrameBytes', default: 4096, min: 64, max: 1048576, doc: 'largest client frame; larger closes with 1009' },
  { env: 'MAX_ROOMS_PER_CONNECTION', key: 'maxRoomsPerConnection', default: 8, min: 1, max: 1024, doc: 'rooms one connection may be in' },
  { env: 'RATE_LIMIT_CAPACITY', key: 'rateLimitCapacity', default: 10, min: 1, max: 1000000, doc: 'token bucket size per connection' },
  { env: 'RATE_LIMIT_REFILL_PER_SEC', key: 'rateLimitRefillPerSec', default: 10, min: 1, max: 1000000, doc: 'tokens added per second per connection' },
  { env: 'KEEPALIVE_INTERVAL_MS', key: 'keepaliveIntervalMs', default: 30000, min: 10, max: 3600000, doc: 'ping interval; silent connections are cut at the next tick' },
  { env: 'MAX_BUFFERED_BYTES', key: 'maxBufferedBytes', default: 1048576, min: 1024, max: 1073741824, doc: 'unsent output that drops a slow consumer' },
  { env: 'SHUTDOWN_GRACE_MS', key: 'shutdownGraceMs', default: 5000, min: 0, max: 9000, doc: 'wait for close handshakes on SIGTERM/SIGINT before cutting' },
];

export const DEFAULT_HOST = '127.0.0.1';

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Reads settings from `env`; throws a SettingsError listing every bad variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];
  const values: Record<string, number | string> = {};
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
  const host = env.HOST === undefined || env.HOST === '' ? DEFAULT_HOST : env.HOST.trim();
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) {
    problems.push(`HOST must be a host name or IP address, got '${env.HOST}'`);
  }
  values.host = host;
  if (problems.length > 0) {
    throw new SettingsError(`invalid settings:\n  ${problems.join('\n  ')}`);
  }
  return values as unknown as Settings;
}

/** Entry-point helper: settings, or a clear message on stderr and exit code 2. */
export function loadSettingsOrExit(env: NodeJS.ProcessEnv = process.env): Settings {
  try {
    return loadSettings(env);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
}
