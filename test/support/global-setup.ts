/** Vitest globalSetup of the e2e suites: the system programs they run are there, or the run stops. */
import { ensureSystemPrograms } from './system-programs.js';

export default function setup(): void {
  ensureSystemPrograms();
}
