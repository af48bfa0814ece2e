/**
 * The chat bus's connection to Redis: a command connection (the Lua scripts of bus-scripts.ts,
 * auto-pipelined) and a subscriber connection (sharded pub/sub), their lifecycle, and the
 * batching of one turn's events into one script call per room. One Redis, or a Redis Cluster
 * (ioredis' cluster client, its sharded subscribers): every call is on one room's slot. It knows
 * nothing of members: BusRooms tells it what to send and hears what Redis publishes, when both
 * connections are ready and when one closes.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { EVENTS_SCRIPT, HEARTBEAT_SCRIPT, SYNC_SCRIPT, UNREGISTER_SCRIPT } from './bus-scripts.js';
import { roomChannel } from './bus-protocol.js';
import { type ClusterSeeds, failFastClient } from '../redis/fail-fast-client.js';
import { withinTimeout } from '../redis/within-timeout.js';

/** Every script's one key is the room's channel, `chat:{<room>}`. */
interface BusCommands {
  chatEvents(channel: string, node: string, timeoutMs: number, ...events: (string | number)[]): Promise<number>;
  chatHeartbeat(channel: string, node: string, timeoutMs: number, maxReaped: number): Promise<[number, number]>;
  chatSync(channel: string, node: string, timeoutMs: number, ...room: (string | number)[]): Promise<number>;
  chatUnregister(channel: string, node: string, timeoutMs: number): Promise<number>;
}

/** What the bus uses of a client, one Redis's or a cluster's. */
type Client = Redis & BusCommands;

export interface BusLinkOptions {
  readonly url: string;
  /** Seeds of a Redis Cluster: when given, the bus uses it instead of `url`. */
  readonly clusterNodes?: ClusterSeeds;
  readonly nodeId: string;
  /** A process that has not renewed its registration for this long is reaped by the others. */
  readonly nodeTimeoutMs: number;
  /** Passed through to ioredis. */
  readonly redis?: RedisOptions;
}

export interface BusLinkHandlers {
  /** A message published on a channel this process subscribed to. */
  message(channel: Buffer, message: Buffer): void;
  /** A connection became ready (both may now be). */
  ready(): void;
  /** A connection closed. */
  closed(reason: string): void;
}

/** Most room events sent to Redis in one call (a longer script would hold Redis longer). */
const MAX_EVENTS_PER_CALL = 256;
/**
 * A bus command without a reply read this long counts as losing Redis; a reply already in the
 * socket when it passes still counts (withinTimeout: an overloaded process does not lose its bus
 * to its own event loop's delay, as it did with ioredis' commandTimeout).
 */
const COMMAND_TIMEOUT_MS = 2_000;
const noop = (): void => {};
/** A bus command's reply, or a RedisTimeoutError after COMMAND_TIMEOUT_MS (withinTimeout). */
const timed = <T>(command: Promise<T>): Promise<T> => withinTimeout(command, COMMAND_TIMEOUT_MS);

export class BusLink {
  private readonly commands: Client;
  /** The sharded subscriber: its own connection on one Redis; on a cluster, the cluster client's. */
  private readonly subscriber: Client;
  /** Arguments of the events asked for in this turn of the event loop, by room, sent together at its end. */
  private outbox = new Map<string, (string | number)[]>();
  /** Told when a call fails; set per bus session, taken when each call is sent. */
  onFailure: (err: unknown) => void = noop;

  constructor(
    private readonly options: BusLinkOptions,
    handlers: BusLinkHandlers,
  ) {
    const connection: RedisOptions = {
      lazyConnect: true,
      // A script in flight when the connection broke may or may not have run: never run it again
      // (it was delivered locally when the bus was lost).
      autoResendUnfulfilledCommands: false,
      ...options.redis,
    };
    // fails fast: the process serves its members alone while Redis cannot
    this.commands = failFastClient(options.url, options.clusterNodes, connection, {
      shardedSubscribers: true,
      // Auto-pipelining would put a subscription in one pipeline with the scripts bound for its
      // node, and ioredis writes a cluster pipeline to one connection, its first command's: an
      // SSUBSCRIBE behind a script lands on the command connection, where the channel's messages
      // are never read. Subscriptions are sent on their own (test: cluster.e2e-spec.ts).
      autoPipeliningIgnoredCommands: ['ssubscribe', 'sunsubscribe'],
    }) as Client;
    // one Redis: a connection of its own for the subscriptions; a cluster: its sharded subscribers
    this.subscriber =
      options.clusterNodes === undefined
        ? (this.commands.duplicate({ autoResubscribe: false, enableAutoPipelining: false }) as Client)
        : this.commands;
    this.commands.defineCommand('chatEvents', { numberOfKeys: 1, lua: EVENTS_SCRIPT });
    this.commands.defineCommand('chatHeartbeat', { numberOfKeys: 1, lua: HEARTBEAT_SCRIPT });
    this.commands.defineCommand('chatSync', { numberOfKeys: 1, lua: SYNC_SCRIPT });
    this.commands.defineCommand('chatUnregister', { numberOfKeys: 1, lua: UNREGISTER_SCRIPT });
    for (const client of new Set([this.commands, this.subscriber])) {
      // Failures are handled through 'close' and failed commands; without a listener ioredis logs.
      client.on('error', noop);
      client.on('ready', () => handlers.ready());
      client.on('close', () => handlers.closed('connection to Redis closed'));
    }
    this.subscriber.on('smessageBuffer', (channel: Buffer, message: Buffer) => handlers.message(channel, message));
  }

  /** Both connections are ready for commands. */
  get ready(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  async connect(): Promise<void> {
    await Promise.all([...new Set([this.commands, this.subscriber])].map((c) => c.connect().catch(noop)));
  }

  disconnect(): void {
    for (const client of new Set([this.commands, this.subscriber])) client.disconnect();
  }

  /** Subscribes to `channels`; on a cluster, one SSUBSCRIBE per channel (one command's channels must share a slot). */
  subscribe(...channels: string[]): Promise<unknown> {
    if (this.options.clusterNodes === undefined || channels.length < 2)
      return timed(this.subscriber.ssubscribe(...channels));
    return Promise.all(channels.map((channel) => timed(this.subscriber.ssubscribe(channel))));
  }

  /**
   * Unsubscribes from `channels`, or from every channel when none is given (on a cluster, whose
   * sharded subscribers do not resubscribe on their own, there is nothing to do then).
   */
  unsubscribe(...channels: string[]): Promise<unknown> {
    if (channels.length === 0 && this.options.clusterNodes !== undefined) return Promise.resolve();
    return timed(this.subscriber.sunsubscribe(...channels));
  }

  /** Queues a chat (EVENTS_SCRIPT's `c` event) for the room's call that ends this turn of the event loop. */
  queueChat(room: string, op: number, head: string): void {
    this.queue(room).push('c', op, head);
  }

  /** Queues a join (`j`) or a leave (`l`) for the room's call that ends this turn of the event loop. */
  queueMember(kind: 'j' | 'l', room: string, op: number, conn: number, user: string): void {
    this.queue(room).push(kind, op, conn, user);
  }

  private queue(room: string): (string | number)[] {
    if (this.outbox.size === 0) setImmediate(this.flush);
    let events = this.outbox.get(room);
    if (events === undefined) this.outbox.set(room, (events = []));
    return events;
  }

  /** Forgets the events queued in this turn (the bus was lost: they were settled locally). */
  dropQueued(): void {
    this.outbox = new Map();
  }

  /**
   * Renews this process's registration in each of `rooms` and reaps, in each, up to `maxReaped`
   * processes past their deadline: [registered in every room (1) or not (0), processes reaped].
   */
  async heartbeat(rooms: readonly string[], maxReaped: number): Promise<[number, number]> {
    const { nodeId, nodeTimeoutMs } = this.options;
    const beats = await Promise.all(
      rooms.map((room) => timed(this.commands.chatHeartbeat(roomChannel(room), nodeId, nodeTimeoutMs, maxReaped))),
    );
    return [
      beats.every(([registered]) => registered === 1) ? 1 : 0,
      beats.reduce((sum, [, reaped]) => sum + reaped, 0),
    ];
  }

  /** Registers this process in one room with what the room holds here (SYNC_SCRIPT's arguments). */
  sync(room: string, lastSeq: number, members: (string | number)[]): Promise<number> {
    const { nodeId, nodeTimeoutMs } = this.options;
    return timed(
      this.commands.chatSync(roomChannel(room), nodeId, nodeTimeoutMs, lastSeq, members.length / 2, ...members),
    );
  }

  /** Leaves the bus in each of `rooms`: members still registered there are announced as gone. */
  async unregister(rooms: readonly string[]): Promise<void> {
    const { nodeId, nodeTimeoutMs } = this.options;
    await Promise.all(
      rooms.map((room) => timed(this.commands.chatUnregister(roomChannel(room), nodeId, nodeTimeoutMs))),
    );
  }

  /** Sends the events of this turn, one call per room (in order), at most MAX_EVENTS_PER_CALL each. */
  readonly flush = (): void => {
    const outbox = this.outbox;
    this.outbox = new Map();
    for (const [room, events] of outbox) {
      let from = 0;
      let count = 0;
      for (let i = 0; i < events.length; i += events[i] === 'c' ? 3 : 4) {
        if (++count > MAX_EVENTS_PER_CALL) {
          this.sendEvents(room, events.slice(from, i));
          from = i;
          count = 1;
        }
      }
      this.sendEvents(room, from === 0 ? events : events.slice(from));
    }
  };

  /** One EVENTS_SCRIPT call for one room; its failure is told to `onFailure`. */
  private sendEvents(room: string, events: (string | number)[]): void {
    const { nodeId, nodeTimeoutMs } = this.options;
    timed(this.commands.chatEvents(roomChannel(room), nodeId, nodeTimeoutMs, ...events)).catch(this.onFailure);
  }
}
