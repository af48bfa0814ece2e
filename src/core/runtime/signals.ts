/** Hard limit of the contract: after SIGTERM/SIGINT the process is gone within 10 s. */
const EXIT_DEADLINE_MS = 10_000;

/**
 * On the first SIGTERM or SIGINT, runs `shutdown` and exits 0. Should shutdown hang, the process
 * exits 1 at the deadline; a second signal changes nothing.
 */
export function exitOnSignals(shutdown: () => Promise<void>, onError: (err: unknown) => void): void {
  let started = false;
  const handler = (): void => {
    if (started) return;
    started = true;
    setTimeout(() => process.exit(1), EXIT_DEADLINE_MS).unref();
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        onError(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
