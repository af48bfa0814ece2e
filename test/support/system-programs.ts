/**
 * The system programs the e2e suites run, where to find them, and the Debian package of each.
 * `ensureSystemPrograms()` runs once before the e2e suites (Vitest globalSetup): it installs the
 * missing ones from Debian's registry when it can (root, or password-less sudo, and apt-get), or
 * stops the run at once with one message naming every missing program and how to install it.
 * The helpers that start a program call `programCommand()`, so a suite run on its own with a
 * program missing fails with that message too, never with a `spawn ENOENT`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

interface SystemProgram {
  /** How the tests ask for it. */
  readonly id: string;
  /** How a person knows it. */
  readonly name: string;
  readonly debianPackage: string;
  readonly usedFor: string;
  /** The command that runs it (program and leading arguments), or undefined when absent. */
  find(): readonly string[] | undefined;
}

/** True when `command args` runs and exits 0. */
function runs(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** `name` on the PATH, or at one of Debian's places (not on every user's PATH, e.g. /usr/sbin). */
function binary(name: string, versionArgs: readonly string[]): () => readonly string[] | undefined {
  return () => {
    for (const candidate of [name, `/usr/bin/${name}`, `/usr/sbin/${name}`]) {
      if ((candidate === name || existsSync(candidate)) && runs(candidate, versionArgs)) return [candidate];
    }
    return undefined;
  };
}

export const SYSTEM_PROGRAMS: readonly SystemProgram[] = [
  {
    id: 'redis-server',
    name: 'redis-server',
    debianPackage: 'redis-server',
    usedFor: 'the limiter stores, the chat bus',
    find: binary('redis-server', ['--version']),
  },
  {
    id: 'nginx',
    name: 'nginx',
    debianPackage: 'nginx-light',
    usedFor: 'docker/nginx.conf in front of two processes',
    find: binary('nginx', ['-v']),
  },
  {
    id: 'compose',
    name: 'docker compose (or docker-compose)',
    debianPackage: 'docker-compose',
    usedFor: 'parsing docker/docker-compose.yml (no Docker engine needed)',
    find: () =>
      runs('docker', ['compose', 'version']) ? ['docker', 'compose'] : binary('docker-compose', ['version'])(),
  },
  {
    id: 'promtool',
    name: 'promtool',
    debianPackage: 'prometheus',
    usedFor: 'checking /metrics, the Prometheus config and the dashboard queries',
    find: binary('promtool', ['--version']),
  },
  {
    // the library itself, preloaded into the server (the faketime command would fork a process
    // that a signal to the child does not reach)
    id: 'libfaketime',
    name: 'libfaketime',
    debianPackage: 'libfaketime',
    usedFor: "running a server whose clock differs from Redis's",
    find: () => {
      const found = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/usr/local/lib']
        .map((dir) => `${dir}/faketime/libfaketime.so.1`)
        .find((path) => existsSync(path));
      return found === undefined ? undefined : [found];
    },
  },
  {
    id: 'prometheus',
    name: 'prometheus',
    debianPackage: 'prometheus',
    usedFor: 'running the dashboard queries on real scrapes',
    find: binary('prometheus', ['--version']),
  },
];

const found = new Map<string, readonly string[]>();

/** The command of a system program the tests need; throws a message saying how to install it. */
export function programCommand(
  id: 'redis-server' | 'nginx' | 'compose' | 'promtool' | 'prometheus' | 'libfaketime',
): readonly string[] {
  const cached = found.get(id);
  if (cached) return cached;
  const program = SYSTEM_PROGRAMS.find((p) => p.id === id) as SystemProgram;
  const command = program.find();
  if (command === undefined) throw new Error(missingMessage([program]));
  found.set(id, command);
  return command;
}

function missingMessage(missing: readonly SystemProgram[]): string {
  const packages = missing.map((p) => p.debianPackage).join(' ');
  return [
    `The tests need ${missing.length === 1 ? 'a program that is' : 'programs that are'} not installed:`,
    ...missing.map((p) => `  ${p.name} (Debian package ${p.debianPackage}): ${p.usedFor}`),
    `Install with: sudo apt-get install -y --no-install-recommends ${packages}`,
    '(npm test installs them itself when it runs as root or with password-less sudo and apt-get.)',
  ].join('\n');
}

/** How to run apt-get as root from here: directly, through sudo -n, or not at all. */
function rootCommand(): readonly string[] | undefined {
  if (!runs('apt-get', ['--version'])) return undefined;
  if (process.getuid?.() === 0) return [];
  return runs('sudo', ['-n', 'true']) ? ['sudo', '-n'] : undefined;
}

/** Runs `command` as root (`root` is [] when this process is root, or sudo's prefix). */
function asRoot(root: readonly string[], command: readonly string[]): void {
  const [cmd, ...rest] = [...root, ...command];
  const run = spawnSync(cmd as string, rest, { encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0)
    throw new Error(`${command.join(' ')} failed (exit ${run.status}):\n${run.stderr || run.stdout}`);
}

function apt(root: readonly string[], args: readonly string[]): void {
  asRoot(root, ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]);
}

/**
 * Finds every system program; installs the missing ones from Debian's registry when this process
 * may, without starting the daemons their packages ship (a policy-rc.d that refuses for the
 * duration). Throws one message naming everything still missing.
 */
export function ensureSystemPrograms(): void {
  let missing = SYSTEM_PROGRAMS.filter((p) => p.find() === undefined);
  if (missing.length === 0) return;
  const root = process.env.TEST_INSTALL_PROGRAMS === '0' ? undefined : rootCommand();
  if (root === undefined) throw new Error(missingMessage(missing));
  const packages = [...new Set(missing.map((p) => p.debianPackage))];
  process.stderr.write(`installing what the tests need from Debian's registry: ${packages.join(' ')}\n`);
  const policy = '/usr/sbin/policy-rc.d';
  const guardPolicy = !existsSync(policy);
  if (guardPolicy)
    asRoot(root, [
      'sh',
      '-c',
      `printf '#!/bin/sh\\n# written by the tests: no service starts during their installs\\nexit 101\\n' > ${policy} && chmod 755 ${policy}`,
    ]);
  try {
    apt(root, ['update', '-qq']);
    apt(root, ['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  } finally {
    if (guardPolicy) asRoot(root, ['rm', '-f', policy]);
  }
  missing = SYSTEM_PROGRAMS.filter((p) => p.find() === undefined);
  if (missing.length > 0)
    throw new Error(`installed ${packages.join(' ')}, yet still missing:\n${missingMessage(missing)}`);
}
