import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PROFILE_ENTRIES, profileArgs } from './profiles.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

describe('how each server starts: one definition, repeated only where a file cannot import it', () => {
  it('gives node the entry file under dist/', () => {
    expect(profileArgs('a')).toEqual(['dist/main.js']);
    expect(profileArgs('b')).toEqual(['dist/baseline/main.js']);
    expect(profileArgs('cluster')).toEqual(['dist/cluster/main.js']);
  });

  it("is what package.json's start scripts run", () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:prod']).toBe(['node', ...profileArgs('a')].join(' '));
    expect(scripts['start:baseline']).toBe(['node', ...profileArgs('b')].join(' '));
    expect(scripts['start:cluster']).toBe(['node', ...profileArgs('cluster')].join(' '));
  });

  it('is what the image runs: Profile A by default, Profile B by the command compose gives it', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('docker/Dockerfile'))?.[1];
    expect(JSON.parse(cmd as string)).toEqual(['node', ...profileArgs('a')]);
    const compose = parseYaml(read('docker/docker-compose.yml')) as {
      services: Record<string, { command?: string[] }>;
    };
    expect(compose.services['profile-b']?.command).toEqual(['node', ...profileArgs('b')]);
    expect(Object.keys(PROFILE_ENTRIES).sort()).toEqual(['a', 'b', 'cluster']);
  });
});
