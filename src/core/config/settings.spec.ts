import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CHOICE_SETTINGS,
  ConfigError,
  DEFAULT_HOST,
  DEFAULT_REDIS_URL,
  INTEGER_SETTINGS,
  loadOrExit,
  loadSettings,
  POLICY_NAME_PATTERN,
  SettingsError,
} from './settings.js';

describe('loadSettings', () => {
  it('has the contract defaults', () => {
    expect(loadSettings({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      maxFrameBytes: 4096,
      maxRoomsPerConnection: 8,
      rateLimitCapacity: 10,
      rateLimitRefillPerSec: 10,
      keepaliveIntervalMs: 30000,
      maxBufferedBytes: 1048576,
      shutdownGraceMs: 5000,
      limiterStore: 'memory',
      redisUrl: 'redis://127.0.0.1:6379',
      redisClusterNodes: undefined,
      redisTimeoutMs: 50,
      failureMode: 'fail-over',
      breakerFailures: 5,
      breakerOpenMs: 1000,
      denyCacheMs: 250,
      policiesFile: undefined,
      httpThrottlePolicy: undefined,
      grpcPort: 8081,
      logLevel: 'info',
      chatBus: 'local',
      httpPlatform: 'express',
      chatBusNodeTimeoutMs: 3000,
      clusterWorkers: 0,
    });
  });

  it('reads every variable, and treats an empty one as unset', () => {
    const settings = loadSettings({ PORT: '0', HOST: '::1', MAX_FRAME_BYTES: ' 8192 ', KEEPALIVE_INTERVAL_MS: '' });
    expect(settings).toMatchObject({ port: 0, host: '::1', maxFrameBytes: 8192, keepaliveIntervalMs: 30000 });
  });

  it.each([
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '3e3'],
    ['MAX_FRAME_BYTES', 'lots'],
    ['RATE_LIMIT_CAPACITY', '0'],
    ['RATE_LIMIT_REFILL_PER_SEC', '1.5'],
    ['SHUTDOWN_GRACE_MS', '10000'],
    ['HOST', 'exa mple'],
    ['LIMITER_STORE', 'postgres'],
    ['LIMITER_FAILURE_MODE', 'fail-sometimes'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['HTTP_THROTTLE_POLICY', 'no spaces'],
    ['HTTP_PLATFORM', 'koa'],
    ['CHAT_BUS', 'kafka'],
    ['CHAT_BUS_NODE_TIMEOUT_MS', '100'],
    ['REDIS_CLUSTER_NODES', '127.0.0.1'],
    ['REDIS_CLUSTER_NODES', '127.0.0.1:7000,:7001'],
    ['REDIS_CLUSTER_NODES', '127.0.0.1:70000'],
    ['GRPC_PORT', '0'],
    ['GRPC_PORT', '65536'],
    ['GRPC_PORT', 'none'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadSettings({ [name]: value })).toThrow(new RegExp(`${name} must be`));
  });

  it('reports every bad variable at once', () => {
    expect(() => loadSettings({ PORT: 'x', MAX_BUFFERED_BYTES: '1' })).toThrow(/PORT[\s\S]*MAX_BUFFERED_BYTES/);
  });

  it('gives each variable a range that holds its default', () => {
    for (const spec of INTEGER_SETTINGS) {
      expect(spec.default).toBeGreaterThanOrEqual(spec.min);
      expect(spec.default).toBeLessThanOrEqual(spec.max);
    }
  });
});

describe('loadSettings, exactly', () => {
  /** The SettingsError that loadSettings throws for `env`. */
  function refusal(env: NodeJS.ProcessEnv): SettingsError {
    try {
      loadSettings(env);
    } catch (err) {
      expect(err).toBeInstanceOf(SettingsError);
      return err as SettingsError;
    }
    throw new Error('loadSettings accepted the environment');
  }

  it('throws a named SettingsError, a kind of ConfigError named ConfigError at its root', () => {
    const err = refusal({ PORT: 'x' });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.name).toBe('SettingsError');
    expect(new ConfigError('m').name).toBe('ConfigError');
  });

  it('lists every problem on its own line, with the raw value', () => {
    expect(
      refusal({
        PORT: 'x',
        MAX_BUFFERED_BYTES: '1',
        LIMITER_STORE: ' pg ',
        HOST: 'a b',
        REDIS_URL: 'http://x',
        HTTP_THROTTLE_POLICY: 'a b',
      }).message,
    ).toBe(
      [
        'invalid settings:',
        "  PORT must be an integer from 0 to 65535, got 'x'",
        "  MAX_BUFFERED_BYTES must be an integer from 1024 to 1073741824, got '1'",
        "  LIMITER_STORE must be one of memory, redis, got ' pg '",
        "  HOST must be a host name or IP address, got 'a b'",
        "  REDIS_URL must be a redis:// or rediss:// URL, got 'http://x'",
        "  HTTP_THROTTLE_POLICY must be a policy name, got 'a b'",
      ].join('\n'),
    );
    expect(refusal({ LIMITER_FAILURE_MODE: 'x', LOG_LEVEL: 'x', CHAT_BUS: 'x' }).message).toBe(
      [
        'invalid settings:',
        "  LIMITER_FAILURE_MODE must be one of fail-over, fail-open, fail-closed, got 'x'",
        "  LOG_LEVEL must be one of info, debug, warn, error, silent, got 'x'",
        "  CHAT_BUS must be one of local, redis, got 'x'",
      ].join('\n'),
    );
  });

  it('accepts each end of every range', () => {
    for (const spec of INTEGER_SETTINGS) {
      expect(loadSettings({ [spec.env]: String(spec.min) })[spec.key]).toBe(spec.min);
      expect(loadSettings({ [spec.env]: String(spec.max) })[spec.key]).toBe(spec.max);
      expect(() => loadSettings({ [spec.env]: String(spec.max + 1) })).toThrow(
        `${spec.env} must be an integer from ${spec.min} to ${spec.max}, got '${spec.max + 1}'`,
      );
    }
  });

  it('accepts every choice, trimmed, and takes an empty or blank one as the default', () => {
    for (const spec of CHOICE_SETTINGS) {
      for (const choice of spec.choices) {
        expect(loadSettings({ [spec.env]: choice })[spec.key]).toBe(choice);
        expect(loadSettings({ [spec.env]: ` ${choice}\t` })[spec.key]).toBe(choice);
      }
      expect(loadSettings({ [spec.env]: '' })[spec.key]).toBe(spec.choices[0]);
      expect(loadSettings({ [spec.env]: '   ' })[spec.key]).toBe(spec.choices[0]);
    }
    expect(CHOICE_SETTINGS.map((spec) => [spec.env, spec.key, spec.choices])).toEqual([
      ['LIMITER_STORE', 'limiterStore', ['memory', 'redis']],
      ['LIMITER_FAILURE_MODE', 'failureMode', ['fail-over', 'fail-open', 'fail-closed']],
      ['LOG_LEVEL', 'logLevel', ['info', 'debug', 'warn', 'error', 'silent']],
      ['CHAT_BUS', 'chatBus', ['local', 'redis']],
      ['HTTP_PLATFORM', 'httpPlatform', ['express', 'fastify']],
    ]);
  });

  it('reads a host, trimmed, and takes an empty one as the default', () => {
    expect(DEFAULT_HOST).toBe('127.0.0.1');
    expect(loadSettings({ HOST: ' 0.0.0.0 ' }).host).toBe('0.0.0.0');
    expect(loadSettings({ HOST: '' }).host).toBe('127.0.0.1');
    expect(loadSettings({ HOST: 'my_host-1.example' }).host).toBe('my_host-1.example');
  });

  it('reads a Redis URL, trimmed, and refuses anything but one redis:// or rediss:// URL', () => {
    expect(DEFAULT_REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(loadSettings({ REDIS_URL: ' rediss://cache:6380/1 ' }).redisUrl).toBe('rediss://cache:6380/1');
    expect(loadSettings({ REDIS_URL: '  ' }).redisUrl).toBe('redis://127.0.0.1:6379');
    for (const bad of ['xredis://a', 'redis://a b', 'redis://', 'redis:/a']) {
      expect(() => loadSettings({ REDIS_URL: bad })).toThrow(
        `REDIS_URL must be a redis:// or rediss:// URL, got '${bad}'`,
      );
    }
  });

  it('reads the policy file and the throttle policy, trimmed; blank is unset', () => {
    expect(loadSettings({ POLICIES_FILE: ' /etc/policies.yaml ', HTTP_THROTTLE_POLICY: ' per-ip ' })).toMatchObject({
      policiesFile: '/etc/policies.yaml',
      httpThrottlePolicy: 'per-ip',
    });
    expect(loadSettings({ POLICIES_FILE: ' ', HTTP_THROTTLE_POLICY: ' ' })).toMatchObject({
      policiesFile: undefined,
      httpThrottlePolicy: undefined,
    });
  });

  it('reads the gRPC port, trimmed; off turns the service off, blank is the default', () => {
    expect(loadSettings({ GRPC_PORT: ' 9000 ' }).grpcPort).toBe(9000);
    expect(loadSettings({ GRPC_PORT: 'off' }).grpcPort).toBeUndefined();
    expect(loadSettings({ GRPC_PORT: ' ' }).grpcPort).toBe(8081);
  });

  it('reads Redis Cluster seeds, trimmed, IPv6 in brackets; blank is one Redis at REDIS_URL', () => {
    expect(
      loadSettings({ REDIS_CLUSTER_NODES: ' 127.0.0.1:7000, redis-b:7001 ,[::1]:7002' }).redisClusterNodes,
    ).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(loadSettings({ REDIS_CLUSTER_NODES: ' ' }).redisClusterNodes).toBeUndefined();
  });

  it('takes the Redis chat bus on a cluster', () => {
    expect(loadSettings({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', CHAT_BUS: 'redis' }).chatBus).toBe('redis');
  });

  it('names policies as the contract does', () => {
    expect(POLICY_NAME_PATTERN.test('per-user_1.x')).toBe(true);
    expect(POLICY_NAME_PATTERN.test('a'.repeat(64))).toBe(true);
    expect(POLICY_NAME_PATTERN.test('a'.repeat(65))).toBe(false);
    expect(POLICY_NAME_PATTERN.test('')).toBe(false);
    expect(POLICY_NAME_PATTERN.test('a:b')).toBe(false);
  });
});

describe('loadOrExit', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('returns what the loader returns', () => {
    expect(loadOrExit(() => 42)).toBe(42);
  });

  it('writes a ConfigError to stderr and exits with code 2', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    loadOrExit(() => {
      throw new SettingsError('invalid settings:\n  PORT must be');
    });
    expect(write).toHaveBeenCalledTimes(1);
    expect(write).toHaveBeenCalledWith('invalid settings:\n  PORT must be\n');
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(2);
  });

  it('lets any other error through', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const bug = new TypeError('a bug');
    expect(() =>
      loadOrExit(() => {
        throw bug;
      }),
    ).toThrow(bug);
    expect(write).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
  });
});

describe('README settings table', () => {
  it('shows every variable with its default and range', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const spec of INTEGER_SETTINGS) {
      expect(readme).toContain(`| \`${spec.env}\` | ${spec.default} | ${spec.min} to ${spec.max} | ${spec.doc} |`);
    }
  });

  it('shows every variable with a fixed set of values, its default first', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const spec of CHOICE_SETTINGS) {
      // a cell may add a note: `memory; start:cluster: redis`, `memory, redis (start:cluster: redis only)`
      const row = new RegExp(
        `^\\| \`${spec.env}\` \\| ${escape(spec.choices[0] as string)}(; [^|]*)? \\| ${escape(spec.choices.join(', '))}( \\([^|]*\\))? \\| ${escape(spec.doc)}( \\([^|]*\\))? \\|$`,
        'm',
      );
      expect(readme).toMatch(row);
    }
  });
});
