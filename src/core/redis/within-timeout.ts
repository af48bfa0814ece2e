/**
 * Timing a Redis call from the caller's side, so that a timeout means Redis was slow, never that
 * this process was: the limiter's store and the chat bus use it instead of ioredis'
 * `commandTimeout` (docs/LIMITER.md, "A timeout means Redis was slow").
 */

/** Why a call failed when Redis did not answer it in time (withinTimeout). */
export class RedisTimeoutError<T = unknown> extends Error {
  override readonly name = 'RedisTimeoutError';
  /** The call's reply, filled in if it comes after the timeout (the call was applied after all). */
  reply: unknown;
  /** Reads `reply` as its caller's result (RedisLimiterStore: a decision). */
  decode: ((reply: unknown) => T) | undefined;

  /** The result of a call that timed out, if its reply has come since; else undefined. */
  late(): T | undefined {
    return this.reply === undefined || this.decode === undefined ? undefined : this.decode(this.reply);
  }
}

/**
 * `command`'s reply, or a RedisTimeoutError once `timeoutMs` has passed without one. When the
 * timer fires, the verdict waits for the rest of this turn of the event loop (setImmediate runs
 * after the poll phase, where sockets are read): a reply that reached the socket while this
 * process was busy elsewhere is read first. So a timeout means Redis was slow, never that this
 * process was (ioredis' own `commandTimeout` fires before such a reply is read, and an
 * overloaded app would open its breaker with Redis healthy). A reply that comes later still is
 * kept on the error (RedisTimeoutError.reply).
 */
export function withinTimeout<T>(command: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timedOut: RedisTimeoutError | undefined;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          timedOut = new RedisTimeoutError(`no reply from Redis within ${timeoutMs} ms`);
          reject(timedOut);
        }),
      timeoutMs,
    );
    command.then(
      (value) => {
        clearTimeout(timer);
        // (the first callback on the reply: filled in before anything else hears of later replies)
        if (timedOut) timedOut.reply = value;
        if (settled) return;
        settled = true;
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        reject(err);
      },
    );
  });
}
