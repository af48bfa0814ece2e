import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { ErrorCode } from '../protocol/contract.js';
import { chatFrameHead, joinFrame, leaveFrame } from '../protocol/frames.js';
import type { ChatConnection } from '../chat/chat-connection.js';
import type { ConnectionRegistry } from '../chat/connection-registry.js';
import { type Room, RoomRegistry } from '../chat/room-registry.js';
import {
  chatSeq,
  decimalAt,
  FRAME_CHAT,
  FRAME_JOIN,
  frameType,
  hasOrigin,
  originEnd,
} from './bus-message.js';
import { EVENTS_SCRIPT, HEARTBEAT_SCRIPT, NODES_KEY, roomChannel, SYNC_SCRIPT, UNREGISTER_SCRIPT } from './bus-scripts.js';
import { OpQueue } from './op-queue.js';

/** A room seen from one process of many: its local members, and its place on the bus. */
interface BusRoom extends Room {
  readonly channel: string;
  /** Own events of this room asked of Redis and not yet received back. */
  pending: number;
  /** Subscription to the room's channel: none, asked, acknowledged. */
  subscription: 'none' | 'asked' | 'done';
}

type OpKind = 'join' | 'chat' | 'leave' | 'gone';

/** An event this process asked for: a member's join, chat, leave, or disconnect (`gone`). */
interface RoomOp {
  readonly id: number;
  readonly kind: OpKind;
  readonly room: BusRoom;
  readonly conn: ChatConnection;
  readonly user: string;
  /** chat: the frame up to its `seq` value (chatFrameHead). */
  readonly head: string;
}

/** An answer to one connection held behind that connection's events (never sent to Redis). */
interface ReplyOp {
  readonly id: number;
  readonly kind: 'reply';
  readonly conn: ChatConnection;
  readonly frame: string;
}

type Op = RoomOp | ReplyOp;

interface BusCommands {
  chatEvents(node: string, ...events: (string | number)[]): Promise<number>;
  chatHeartbeat(nodes: string, node: string, timeoutMs: number, maxReaped: number): Promise<[number, number]>;
  chatSync(nodes: string, node: string, timeoutMs: number, ...rooms: (string | number)[]): Promise<number>;
  chatUnregister(node: string, timeoutMs: number): Promise<number>;
}

/** Plain counters of the bus, read by /metrics at scrape time. */
export class BusCounters {
  /** Events this process asked Redis to publish. */
  published = 0;
  /** Messages received from Redis (own and other processes'). */
  received = 0;
  /** Times the bus was lost (Redis unreachable, a failed command, this process reaped). */
  lost = 0;
  /** Times this process registered its rooms again (start-up included). */
  resyncs = 0;
  /** Dead processes whose members this process announced as gone. */
  reaped = 0;
}

export interface RedisRoomRegistryOptions {
  readonly url: string;
  readonly maxRoomsPerConnection: number;
  /** A process that has not renewed its registration for this long is reaped by the others. */
  readonly nodeTimeoutMs: number;
  /** Passed through to ioredis. */
  readonly redis?: RedisOptions;
  /** Told when the bus goes down (with why) and when it is up again. */
  readonly onStateChange?: (up: boolean, reason: string) => void;
}

/** Most dead processes one heartbeat reaps (the next beat takes the rest). */
const MAX_REAPED_PER_BEAT = 16;
/** Most room events sent to Redis in one call (a longer script would hold Redis longer). */
const MAX_EVENTS_PER_CALL = 256;
/** A bus command slower than this counts as losing Redis. */
const COMMAND_TIMEOUT_MS = 2_000;
/** First retry of a failed resync; doubled after each failure, up to one heartbeat. */
const RESYNC_RETRY_MS = 50;
const noop = (): void => {};

/**
 * Rooms shared by many processes through Redis (`CHAT_BUS=redis`): every join, chat and leave
 * updates the room in Redis and publishes the frame on the room's channel, in one atomic Lua step
 * (the events of one turn of the event loop go in one call); each process subscribed to the room
 * forwards the frame, untouched, to its own members. Redis orders the events of a room once for
 * everybody: one `seq` counter, one member count, the same frames in the same order on every
 * process.
 *
 * A process delivers even its own members' events when they come back from Redis, so that its
 * members see the room in the same order as everyone else. Its own events are matched on return
 * by their number (they come back in the order they were asked for: one command connection,
 * one subscriber connection). Until then a joiner is not yet a member here; a leaver still is.
 *
 * Without Redis the registry works as the in-process RoomRegistry it extends: local members,
 * local counts, `seq` continuing from the last one seen here. Events asked for and not received
 * back when Redis went away are delivered locally ("settled"). When both connections are ready
 * again it subscribes to its rooms and registers what they hold now (SYNC_SCRIPT), then goes back
 * to the bus. What members miss meanwhile: docs/CLUSTER.md.
 *
 * Rate limits, keepalive and the slow-consumer rule stay per connection: they live in
 * ConnectionRegistry and the profile, unchanged.
 */
export class RedisRoomRegistry extends RoomRegistry {
  /** This process on the bus: pid and a random suffix (a restarted pid is a new node). */
  readonly nodeId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly busCounters = new BusCounters();
  private readonly commands: Redis & BusCommands;
  private readonly subscriber: Redis;
  private readonly originPrefix: Buffer;
  private up = false;
  /** Incremented each time the bus is lost: replies asked for before then are stale. */
  private epoch = 0;
  private fail: (err: unknown) => void = noop;
  private resyncing = false;
  /** Resyncs that failed in a row (reset when one succeeds): spaces out the retries. */
  private failedResyncs = 0;
  private closed = false;
  private nextOp = 1;
  /** Asked of Redis, not yet received back. */
  private readonly inFlight = new OpQueue<Op>();
  /** Waiting for a room's subscription (and, to keep one sender's order, everything after it). */
  private readonly backlog = new OpQueue<Op>();
  /** Arguments of the events asked for in this turn of the event loop, sent together at its end. */
  private outbox: (string | number)[] = [];
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    connections: ConnectionRegistry,
    private readonly options: RedisRoomRegistryOptions,
  ) {
    super(connections, options.maxRoomsPerConnection);
    this.originPrefix = Buffer.from(`${this.nodeId}:`);
    this.commands = new Redis(options.url, {
      lazyConnect: true,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      // A script in flight when the connection broke may or may not have run: never run it again
      // (it was delivered locally when the bus was lost).
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
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
      client.on('ready', this.tryResync);
      client.on('close', () => this.lose('connection to Redis closed'));
    }
    this.subscriber.on('messageBuffer', this.receive);
  }

  /** True while events go through Redis; false while this process serves its members alone. */
  get isUp(): boolean {
    return this.up;
  }

  /** Own events asked of Redis and not yet received back. */
  get inFlightEvents(): number {
    return this.inFlight.size + this.backlog.size;
  }

  /** Interval of the heartbeat: a third of the node timeout. */
  private get beatMs(): number {
    return Math.max(50, Math.floor(this.options.nodeTimeoutMs / 3));
  }

  /** Connects, registers this process and starts the heartbeat; resolves true once on the bus. */
  async start(waitMs: number): Promise<boolean> {
    this.heartbeat = setInterval(this.beat, this.beatMs);
    this.heartbeat.unref();
    await Promise.all([this.commands.connect().catch(noop), this.subscriber.connect().catch(noop)]);
    const deadline = Date.now() + waitMs;
    while (!this.up && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.up;
  }

  /** Leaves the bus: members still registered are announced as gone; connections are closed. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    // the disconnected members' leaves first, or the unregister would announce them too
    this.flush();
    if (this.up) await this.commands.chatUnregister(this.nodeId, this.options.nodeTimeoutMs).catch(noop);
    this.closed = true;
    this.up = false;
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  override join(conn: ChatConnection, roomName: string, user: string): ErrorCode | undefined {
    if (!this.up) return super.join(conn, roomName, user);
    const refusal = this.refuseJoin(conn, roomName, user);
    if (refusal !== undefined) return refusal;
    conn.user = user;
    conn.rooms.add(roomName);
    this.submit('join', this.room(roomName) as BusRoom, conn, user, '');
    return undefined;
  }

  override chat(
    conn: ChatConnection,
    roomName: string,
    text: string,
    id: string | undefined,
    ts: number | undefined,
  ): ErrorCode | undefined {
    if (!this.up) return super.chat(conn, roomName, text, id, ts);
    if (!conn.rooms.has(roomName)) return 'not_joined';
    const user = conn.user as string;
    this.submit('chat', this.rooms.get(roomName) as BusRoom, conn, user, chatFrameHead(roomName, user, text, id, ts));
    return undefined;
  }

  override leave(conn: ChatConnection, roomName: string): ErrorCode | undefined {
    if (!this.up) return super.leave(conn, roomName);
    if (!conn.rooms.has(roomName)) return 'not_joined';
    conn.rooms.delete(roomName);
    this.submit('leave', this.rooms.get(roomName) as BusRoom, conn, conn.user as string, '');
    return undefined;
  }

  override leaveAll(conn: ChatConnection): void {
    if (!this.up) return super.leaveAll(conn);
    for (const roomName of conn.rooms) {
      const room = this.rooms.get(roomName) as BusRoom;
      room.members.delete(conn);
      this.submit('gone', room, conn, conn.user as string, '');
    }
  }

  protected override createRoom(name: string): BusRoom {
    return {
      name,
      members: new Set(),
      seq: 0,
      channel: roomChannel(name),
      pending: 0,
      subscription: 'none',
    };
  }

  /** A room is kept while own events of it are on their way back. */
  protected override forgetRoom(room: Room): void {
    const busRoom = room as BusRoom;
    if (busRoom.pending > 0) return;
    super.forgetRoom(room);
    if (this.up && busRoom.subscription !== 'none') this.subscriber.unsubscribe(busRoom.channel).catch(noop);
  }

  // ---- asking Redis ----

  private submit(kind: OpKind, room: BusRoom, conn: ChatConnection, user: string, head: string): void {
    const op: RoomOp = { id: this.nextOp++, kind, room, conn, user, head };
    room.pending++;
    conn.busPending++;
    if (this.backlog.size === 0 && room.subscription === 'done') this.issue(op);
    else {
      this.backlog.push(op);
      if (room.subscription === 'none') this.subscribe(room);
    }
  }

  override reply(conn: ChatConnection, frame: string): void {
    if (!this.up || conn.busPending === 0) {
      this.connections.send(conn, frame);
      return;
    }
    conn.busPending++;
    const op: ReplyOp = { id: this.nextOp++, kind: 'reply', conn, frame };
    if (this.backlog.size > 0) this.backlog.push(op);
    else this.inFlight.push(op);
  }

  /** Subscribes to a room's channel; its events wait until Redis acknowledged it. */
  private subscribe(room: BusRoom): void {
    room.subscription = 'asked';
    const epoch = this.epoch;
    this.subscriber.subscribe(room.channel).then(() => {
      if (epoch !== this.epoch) return;
      room.subscription = 'done';
      this.drainBacklog();
    }, this.fail);
  }

  private drainBacklog(): void {
    for (let op = this.backlog.peek(); op !== undefined; op = this.backlog.peek()) {
      if (op.kind === 'reply') {
        this.backlog.shift();
        if (this.inFlight.size > 0) this.inFlight.push(op);
        else this.settle(op);
        continue;
      }
      if (op.room.subscription !== 'done') {
        if (op.room.subscription === 'none') this.subscribe(op.room);
        return;
      }
      this.backlog.shift();
      this.issue(op);
    }
  }

  /** Queues an event for the call that ends this turn of the event loop (EVENTS_SCRIPT). */
  private issue(op: RoomOp): void {
    this.inFlight.push(op);
    this.busCounters.published++;
    if (this.outbox.length === 0) setImmediate(this.flush);
    if (op.kind === 'chat') this.outbox.push('c', op.room.name, op.id, op.head);
    else this.outbox.push(op.kind === 'join' ? 'j' : 'l', op.room.name, op.id, op.conn.id, op.user);
  }

  /** Sends the events of this turn, in order, in as few calls as MAX_EVENTS_PER_CALL allows. */
  private readonly flush = (): void => {
    const events = this.outbox;
    this.outbox = [];
    if (!this.up || events.length === 0) return; // lost meanwhile: these events were settled locally
    let from = 0;
    let count = 0;
    for (let i = 0; i < events.length; i += events[i] === 'c' ? 4 : 5) {
      if (++count > MAX_EVENTS_PER_CALL) {
        this.commands.chatEvents(this.nodeId, this.options.nodeTimeoutMs, ...events.slice(from, i)).catch(this.fail);
        from = i;
        count = 1;
      }
    }
    this.commands.chatEvents(this.nodeId, this.options.nodeTimeoutMs, ...(from === 0 ? events : events.slice(from))).catch(this.fail);
  };

  // ---- what Redis publishes ----

  private readonly receive = (channel: Buffer, message: Buffer): void => {
    if (!this.up) return; // serving alone: the bus resumes after the next sync
    this.busCounters.received++;
    const end = originEnd(message);
    if (end < 0) return;
    const frame = message.subarray(end + 1);
    if (hasOrigin(message, this.originPrefix, end)) {
      this.receiveOwn(decimalAt(message, this.originPrefix.length, end), frame);
      return;
    }
    // `chat:{<room>}`
    const room = this.rooms.get(channel.toString('latin1', 6, channel.length - 1)) as BusRoom | undefined;
    if (room === undefined) return;
    const type = frameType(frame);
    if (type === FRAME_CHAT) room.seq = chatSeq(frame);
    this.deliver(room, frame, type);
  };

  private receiveOwn(id: number, frame: Buffer): void {
    // Older than the oldest in flight: it was settled locally while the bus was down.
    for (let op = this.inFlight.peek(); op !== undefined && op.id <= id; op = this.inFlight.peek()) {
      this.inFlight.shift();
      if (op.id === id && op.kind !== 'reply') this.apply(op, frame);
      else this.settle(op); // a held answer; or an event lost on ordered connections (cannot happen)
    }
    // answers that waited for this event
    for (let op = this.inFlight.peek(); op?.kind === 'reply'; op = this.inFlight.peek()) {
      this.inFlight.shift();
      this.settle(op);
    }
  }

  /** An own event is back from Redis: membership changes take effect, then the room gets it. */
  private apply(op: RoomOp, frame: Buffer): void {
    const room = op.room;
    room.pending--;
    op.conn.busPending--;
    const type = frameType(frame);
    if (op.kind === 'join') {
      if (!op.conn.cut) room.members.add(op.conn);
      this.deliver(room, frame, type);
    } else if (op.kind === 'chat') {
      room.seq = chatSeq(frame);
      this.deliver(room, frame, type);
    } else {
      this.deliver(room, frame, type); // a leaver gets its own leave, as its last frame of the room
      room.members.delete(op.conn);
    }
    if (room.members.size === 0) this.forgetRoom(room);
  }

  /** An own event Redis may never send back: delivered here as the in-process path would. */
  private settle(op: Op): void {
    op.conn.busPending--;
    if (op.kind === 'reply') {
      this.connections.send(op.conn, op.frame);
      return;
    }
    const room = op.room;
    room.pending--;
    let frame: string;
    if (op.kind === 'join') {
      if (!op.conn.cut) room.members.add(op.conn);
      frame = joinFrame(room.name, op.user, room.members.size);
    } else if (op.kind === 'chat') {
      room.seq++;
      frame = `${op.head}${room.seq}}`;
    } else {
      const stays = room.members.size - (room.members.has(op.conn) ? 1 : 0);
      frame = leaveFrame(room.name, op.user, stays);
    }
    const encoded = Buffer.from(frame);
    this.deliver(room, encoded, frameType(encoded));
    if (op.kind === 'leave') room.members.delete(op.conn);
    if (room.members.size === 0) this.forgetRoom(room);
  }

  private deliver(room: BusRoom, frame: Buffer, type: number): void {
    this.broadcastEncoded(room, frame);
    const out = this.connections.counters.framesOut;
    if (type === FRAME_CHAT) out.chat += room.members.size;
    else if (type === FRAME_JOIN) out.join += room.members.size;
    else out.leave += room.members.size;
  }

  // ---- losing and regaining Redis ----

  /** Leaves the bus: what is in flight is settled locally; serving goes on in this process. */
  private lose(reason: string): void {
    if (!this.up) return;
    this.up = false;
    this.epoch++;
    this.fail = noop;
    this.outbox = [];
    this.busCounters.lost++;
    for (let op = this.inFlight.shift(); op !== undefined; op = this.inFlight.shift()) this.settle(op);
    for (let op = this.backlog.shift(); op !== undefined; op = this.backlog.shift()) this.settle(op);
    for (const room of this.rooms.values()) (room as BusRoom).subscription = 'none';
    this.options.onStateChange?.(false, reason);
    if (!this.closed) {
      const delay = Math.min(RESYNC_RETRY_MS * 2 ** this.failedResyncs, this.beatMs);
      this.failedResyncs++;
      setTimeout(this.tryResync, delay).unref();
    }
  }

  private readonly tryResync = (): void => {
    if (this.up || this.resyncing || this.closed) return;
    if (this.commands.status !== 'ready' || this.subscriber.status !== 'ready') return;
    this.resyncing = true;
    void this.resync().finally(() => {
      this.resyncing = false;
    });
  };

  /**
   * Subscribes to every room this process has, then, in one synchronous step, queues the sync
   * of its members ahead of any later event and goes back on the bus.
   */
  private async resync(): Promise<void> {
    const rooms = new Set(this.rooms.values() as IterableIterator<BusRoom>);
    try {
      await this.subscriber.unsubscribe();
      if (rooms.size > 0) await this.subscriber.subscribe(...[...rooms].map((room) => room.channel));
    } catch {
      return; // the next heartbeat tries again
    }
    if (this.up || this.closed || this.commands.status !== 'ready' || this.subscriber.status !== 'ready') return;
    const args: (string | number)[] = [];
    for (const room of this.rooms.values() as IterableIterator<BusRoom>) {
      room.subscription = rooms.has(room) ? 'done' : 'none';
      args.push(room.name, room.seq, room.members.size);
      for (const member of room.members) args.push(member.id, member.user as string);
    }
    const epoch = this.epoch;
    this.fail = (err: unknown) => {
      if (epoch === this.epoch) this.lose(`Redis command failed: ${(err as Error)?.message ?? err}`);
    };
    this.up = true;
    this.busCounters.resyncs++;
    this.commands.chatSync(NODES_KEY, this.nodeId, this.options.nodeTimeoutMs, ...args).then(() => {
      if (epoch !== this.epoch) return;
      this.failedResyncs = 0;
      this.options.onStateChange?.(true, 'registered on the bus');
    }, this.fail);
    // rooms that appeared while subscribing: their own subscription
    for (const room of this.rooms.values() as IterableIterator<BusRoom>) {
      if (room.subscription === 'none') this.subscribe(room);
    }
  }

  /** Renews this process's registration and reaps dead processes; retries a lost bus. */
  private readonly beat = (): void => {
    if (!this.up) {
      this.tryResync();
      return;
    }
    const epoch = this.epoch;
    this.commands.chatHeartbeat(NODES_KEY, this.nodeId, this.options.nodeTimeoutMs, MAX_REAPED_PER_BEAT).then(
      ([registered, reaped]) => {
        this.busCounters.reaped += reaped;
        if (registered === 0 && epoch === this.epoch) this.lose('this process was presumed dead and reaped');
      },
      this.fail,
    );
  };
}
