import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INTEGER_SETTINGS, loadSettings } from './settings.js';

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
      redisTimeoutMs: 50,
      failureMode: 'fail-over',
      breakerFailures: 5,
      breakerOpenMs: 1000,
      denyCacheMs: 250,
      policiesFile: undefined,
      httpThrottlePolicy: undefined,
      logLevel: 'info',
      chatBus: 'local',
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
    ['CHAT_BUS', 'kafka'],
    ['CHAT_BUS_NODE_TIMEOUT_MS', '100'],
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

describe('README settings table', () => {
  it('shows every variable with its default and range', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const spec of INTEGER_SETTINGS) {
      expect(readme).toContain(`| \`${spec.env}\` | ${spec.default} | ${spec.min} to ${spec.max} | ${spec.doc} |`);
    }
  });
});
