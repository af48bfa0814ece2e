/** Keeps this process's event loop busy for `ms`, as an overloaded process does. */
export function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}
