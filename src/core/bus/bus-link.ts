/**
 * The chat bus's connection to Redis: a command connection (the Lua scripts of bus-scripts.ts,
 * auto-pipelined) and a subscriber connection, their lifecycle, and the batching of one turn's
 * room events into one script call. It knows nothing of rooms or members: BusRooms tells it what
 * to send and hears what Redis publishes, when both connections are ready and when one closes.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { EVENTS_SCRIPT, HEARTBEAT_SCRIPT, SYNC_SCRIPT, UNREGISTER_SCRIPT } from './bus-scripts.js';
import { NODES_KEY } from './bus-protocol.js';
import { withinTimeout } from '../redis/within-timeout.js';

interface BusCommands {
  chatEvents(node: string, timeoutMs: number, ...events: (string | number)[]): Promise<number>;
  chatHeartbeat(nodes: string, node: string, timeoutMs: number, maxReaped: number): Promise<[number, number]>;
  chatSync(nodes: string, node: string, timeoutMs: number, ...rooms: (string | number)[]): Promise<number>;
  chatUnregister(node: string, timeoutMs: number): Promise<number>;
}

export interface BusLinkOptions {
  readonly url: string;
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
  private readonly commands: Redis & BusCommands;
  private readonly subscriber: Redis;
  /** Arguments of the events asked for in this turn of the event loop, sent together at its end. */
  private outbox: (string | number)[] = [];
  /** Told when a call fails; set per bus session, taken when each call is sent. */
  onFailure: (err: unknown) => void = noop;

  constructor(
    private readonly options: BusLinkOptions,
    handlers: BusLinkHandlers,
  ) {
    this.commands = new Redis(options.url, {
      lazyConnect: true,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      // A script in flight when the connection broke may or may not have run: never run it again
      // (it was delivered locally when the bus was lost).
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * times, 1_000),
      ...options.redis,
    }) as Redis & BusCommands;
    this.subscriber = this.commands.duplicate({ autoResubscribe: false, enableAutoPipelining: false });
    this.commands.defineCommand('chatEvents', { numberOfKeys: 0, lua: EVENTS_SCRIPT });
    this.commands.defineCommand('chatHeartbeat', { numberOfKeys: 1, lua: HEARTBEAT_SCRIPT });
    this.commands.defineCommand('chatSync', { numberOfKeys: 1, lua: SYNC_SCRIPT });
    this.commands.defineCommand('chatUnregister', { numberOfKeys: 0, lua: UNREGISTER_SCRIPT });
    for (const client of [this.commands, this.subscriber]) {
      // Failures are handled through 'close' and failed commands; without a listener ioredis logs.
      client.on('error', noop);
      client.on('ready', () => handlers.ready());
      client.on('close', () => handlers.closed('connection to Redis closed'));
    }
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => handlers.message(channel, message));
  }

  /** Both connections are ready for commands. */
  get ready(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  async connect(): Promise<void> {
    await Promise.all([this.commands.connect().catch(noop), this.subscriber.connect().catch(noop)]);
  }

  disconnect(): void {
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  subscribe(...channels: string[]): Promise<unknown> {
    return timed(this.subscriber.subscribe(...channels));
  }

  /** Unsubscribes from `channels`, or from every channel when none is given. */
  unsubscribe(...channels: string[]): Promise<unknown> {
    return timed(this.subscriber.unsubscribe(...channels));
  }

  /** Queues a chat (EVENTS_SCRIPT's `c` event) for the call that ends this turn of the event loop. */
  queueChat(room: string, op: number, head: string): void {
    if (this.outbox.length === 0) setImmediate(this.flush);
    this.outbox.push('c', room, op, head);
  }

  /** Queues a join (`j`) or a leave (`l`) for the call that ends this turn of the event loop. */
  queueMember(kind: 'j' | 'l', room: string, op: number, conn: number, user: string): void {
    if (this.outbox.length === 0) setImmediate(this.flush);
    this.outbox.push(kind, room, op, conn, user);
  }

  /** Forgets the events queued in this turn (the bus was lost: they were settled locally). */
  dropQueued(): void {
    this.outbox = [];
  }

  /** Renews this process's registration and reaps up to `maxReaped` dead ones: [registered, reaped]. */
  heartbeat(maxReaped: number): Promise<[number, number]> {
    const { nodeId, nodeTimeoutMs } = this.options;
    return timed(this.commands.chatHeartbeat(NODES_KEY, nodeId, nodeTimeoutMs, maxReaped));
  }

  /** Registers this process with what its rooms hold (SYNC_SCRIPT's arguments). */
  sync(rooms: (string | number)[]): Promise<number> {
    const { nodeId, nodeTimeoutMs } = this.options;
    return timed(this.commands.chatSync(NODES_KEY, nodeId, nodeTimeoutMs, ...rooms));
  }

  /** Leaves the bus: members still registered are announced as gone. */
  unregister(): Promise<number> {
    return timed(this.commands.chatUnregister(this.options.nodeId, this.options.nodeTimeoutMs));
  }

  /** Sends the events of this turn, in order, in as few calls as MAX_EVENTS_PER_CALL allows. */
  readonly flush = (): void => {
    const events = this.outbox;
    this.outbox = [];
    if (events.length === 0) return; // dropped meanwhile
    let from = 0;
    let count = 0;
    for (let i = 0; i < events.length; i += events[i] === 'c' ? 4 : 5) {
      if (++count > MAX_EVENTS_PER_CALL) {
        this.sendEvents(events.slice(from, i));
        from = i;
        count = 1;
      }
    }
    this.sendEvents(from === 0 ? events : events.slice(from));
  };

  /** One EVENTS_SCRIPT call; its failure is told to `onFailure`. */
  private sendEvents(events: (string | number)[]): void {
    const { nodeId, nodeTimeoutMs } = this.options;
    timed(this.commands.chatEvents(nodeId, nodeTimeoutMs, ...events)).catch(this.onFailure);
  }
}
