#!/usr/bin/env node
/**
 * `npm run build:go`: builds the Go reference server (reference/go, README "The Go reference") into
 * reference/go/bin/chatbench-go with Debian's Go toolchain and libraries, in GOPATH mode: no
 * module is downloaded (GOPROXY=off). When the toolchain or a library is missing it installs them
 * from Debian's registry if this process may (root, or password-less sudo, and apt-get), as the
 * tests do for their system programs; otherwise it stops at once with one message saying what to
 * install. Before building: `gofmt -l` must list nothing and `go vet` must pass.
 *
 * `--test` then runs the Go tests (`go test chatbench/...`), which test/go-reference.e2e-spec.ts does.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const GO_ROOT = join(ROOT, 'reference/go');
const GO_BINARY = join(GO_ROOT, 'bin/chatbench-go');
/** Where Debian installs Go libraries' sources (the GOPATH they form). */
const DEBIAN_GOPATH = '/usr/share/gocode';
const PACKAGES = [
  { name: 'golang-go', what: 'the Go toolchain', present: () => goCommand() !== undefined },
  {
    name: 'golang-github-gorilla-websocket-dev',
    what: 'gorilla/websocket',
    present: () => existsSync(`${DEBIAN_GOPATH}/src/github.com/gorilla/websocket/conn.go`),
  },
  {
    name: 'golang-gopkg-yaml.v3-dev',
    what: 'go-yaml v3',
    present: () => existsSync(`${DEBIAN_GOPATH}/src/gopkg.in/yaml.v3/yaml.go`),
  },
  {
    name: 'golang-github-gomodule-redigo-dev',
    what: 'redigo',
    present: () => existsSync(`${DEBIAN_GOPATH}/src/github.com/gomodule/redigo/redis/redis.go`),
  },
];

function runs(command, args) {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

function goCommand() {
  return ['go', '/usr/bin/go', '/usr/lib/go/bin/go'].find((go) => runs(go, ['version']));
}

/** apt-get as root: directly, through sudo -n, or undefined when this process may not. */
function rootPrefix() {
  if (process.env.TEST_INSTALL_PROGRAMS === '0' || !runs('apt-get', ['--version'])) return undefined;
  if (process.getuid?.() === 0) return [];
  return runs('sudo', ['-n', 'true']) ? ['sudo', '-n'] : undefined;
}

function fail(message) {
  process.stderr.write(`build:go: ${message}\n`);
  process.exit(1);
}

function ensureToolchain() {
  let missing = PACKAGES.filter((p) => !p.present());
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name).join(' ');
  const root = rootPrefix();
  if (root === undefined)
    fail(
      `the Go reference server needs ${missing.map((p) => `${p.what} (${p.name})`).join(', ')}.\n` +
        `Install with: sudo apt-get install -y --no-install-recommends ${names}`,
    );
  process.stderr.write(`build:go: installing from Debian's registry: ${names}\n`);
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((p) => p.name)],
  ]) {
    const [cmd, ...rest] = [...root, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args];
    const run = spawnSync(cmd, rest, { encoding: 'utf8', timeout: 600_000 });
    if (run.status !== 0) fail(`apt-get ${args.join(' ')} failed (exit ${run.status}):\n${run.stderr || run.stdout}`);
  }
  missing = PACKAGES.filter((p) => !p.present());
  if (missing.length > 0) fail(`installed ${names}, yet still missing: ${missing.map((p) => p.what).join(', ')}`);
}

/** Runs a Go tool in GOPATH mode against the repository's and Debian's sources; its output is shown. */
function go(args, capture = false) {
  const env = {
    ...process.env,
    GOPATH: `${GO_ROOT}:${DEBIAN_GOPATH}`,
    GO111MODULE: 'off',
    GOFLAGS: '',
    GOPROXY: 'off',
  };
  const run = spawnSync(goCommand(), args, {
    cwd: GO_ROOT,
    env,
    encoding: 'utf8',
    stdio: capture ? 'pipe' : 'inherit',
  });
  if (run.status !== 0)
    fail(`go ${args.join(' ')} failed (exit ${run.status})${capture ? `:\n${run.stdout}${run.stderr}` : ''}`);
  return run.stdout ?? '';
}

ensureToolchain();
// gofmt lives beside go in GOROOT/bin
const gofmt = join(go(['env', 'GOROOT'], true).trim(), 'bin/gofmt');
const unformatted = spawnSync(gofmt, ['-l', join(GO_ROOT, 'src')], { encoding: 'utf8' });
if (unformatted.status !== 0 || unformatted.stdout.trim() !== '')
  fail(`gofmt would change these files (gofmt -w them):\n${unformatted.stdout}${unformatted.stderr ?? ''}`);
go(['vet', 'chatbench/...']);
go(['build', '-o', GO_BINARY, 'chatbench/cmd/chatbench-go']);
if (process.argv.includes('--test')) process.stdout.write(go(['test', 'chatbench/...'], true));
