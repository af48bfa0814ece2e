/**
 * Plain counters of chat traffic, kept by the shared core at the cost of an integer increment;
 * Profile A exposes them on /metrics when scraped. Fixed shapes, so increments stay monomorphic.
 */
export class ChatCounters {
  /** Client frames by routed type (`rejected`: failed before its type was known). */
  readonly framesIn = { join: 0, chat: 0, ping: 0, pong: 0, leave: 0, rejected: 0 };
  /** Server frames by type, each recipient counted. */
  readonly framesOut = { join: 0, chat: 0, leave: 0, pong: 0, error: 0 };
  /** Frames delivered to room members by broadcasts (join, chat, leave). */
  deliveries = 0;
  /** Frames refused with rate_limited. */
  rateLimited = 0;
}
