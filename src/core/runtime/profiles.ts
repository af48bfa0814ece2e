/**
 * How each server of this project starts: the file under dist/ that `node` runs, from the package
 * root. The one definition: the cluster primary, the harness and the tests start servers with it,
 * and package.json's start scripts and the Dockerfile's command say the same (a test checks them).
 * Profile A's entry loads its telemetry itself, first, so no `node` flag is needed.
 */
export const PROFILE_ENTRIES = {
  /** Profile A, NestJS (`npm run start:prod`). */
  a: 'main.js',
  /** Profile B, node:http + ws (`npm run start:baseline`). */
  b: 'baseline/main.js',
  /** Profile A, one worker per core (`npm run start:cluster`). */
  cluster: 'cluster/main.js',
} as const;

export type ProfileName = keyof typeof PROFILE_ENTRIES;

/** The arguments of `node` that start `profile` from the package root. */
export function profileArgs(profile: ProfileName): string[] {
  return [`dist/${PROFILE_ENTRIES[profile]}`];
}

/**
 * The Go reference server (reference/go, issue 19), from the package root: built by
 * `npm run build:go`, started as it is, with the same settings variables.
 */
export const GO_REFERENCE_BINARY = 'reference/go/bin/chatbench-go';
