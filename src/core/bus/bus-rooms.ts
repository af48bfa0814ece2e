import { randomBytes } from 'node:crypto';
import type { RedisOptions } from 'ioredis';
import type { ChatConnection } from '../chat/chat-connection.js';
import type { ConnectionRegistry } from '../chat/connection-registry.js';
import type { FrameAccounting } from '../chat/frame-accounting.js';
import { type Room, RoomRegistry } from '../chat/room-registry.js';
import type { Rooms } from '../chat/rooms.js';
import type { ErrorCode } from '../protocol/contract.js';
import { chatFrameHead, joinFrame, leaveFrame } from '../protocol/frames.js';
import { BusLedger, type LedgerRoom, type Op, type RoomOp } from './bus-ledger.js';
import { BusLink } from './bus-link.js';
import {
  channelRoom,
  chatSeq,
  decimalAt,
  FRAME_CHAT,
  FRAME_JOIN,
  frameType,
  hasOrigin,
  originEnd,
  originPrefix,
  roomChannel,
} from './bus-protocol.js';

/** A room seen from one process of many: its local members, and its place on the bus. */
interface BusRoom extends Room, LedgerRoom {
  readonly channel: string;
}

/** What handlers do to rooms: on the bus, or on the local registry while Redis is away. */
type RoomsPath = Pick<Rooms, 'join' | 'chat' | 'leave' | 'leaveAll' | 'reply'>;

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
  /** Dead processes whose members this process announced as gone, once per room. */
  reaped = 0;
}

/** What the app's health, metrics and lifecycle see of the bus. */
export interface ChatBus {
  /** This process on the bus: pid and a random suffix (a restarted pid is a new node). */
  readonly nodeId: string;
  /** True while events go through Redis; false while this process serves its members alone. */
  readonly isUp: boolean;
  /** Own events asked of Redis and not yet received back, and answers held behind them. */
  readonly inFlightEvents: number;
  readonly busCounters: BusCounters;
  /** Connects and registers; resolves true once on the bus within `waitMs`. */
  start(waitMs: number): Promise<boolean>;
  /** Leaves the bus (members still registered are announced as gone) and disconnects. */
  close(): Promise<void>;
}

export interface BusRoomsOptions {
  readonly url: string;
  /** Seeds of a Redis Cluster: when given, the bus uses it instead of `url`. */
  readonly clusterNodes?: readonly { host: string; port: number }[];
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
 * members see the room in the same order as everyone else; until then a joiner is not yet a
 * member here, a leaver still is (BusLedger keeps that order).
 *
 * Made of parts with one job each: a RoomRegistry (the table of rooms and local delivery; the
 * whole in-process path while Redis is away), a BusLedger (the order of own events), a BusLink
 * (the connections to Redis), bus-protocol.ts (names and message bytes). Handlers go to one of
 * two paths, switched when the bus is lost or regained: `onBus`, or the local registry. Events
 * asked for and not received back when Redis went away are delivered locally ("settled"). When
 * both connections are ready again it subscribes to its rooms and registers what each holds now
 * (SYNC_SCRIPT, one call per room), then goes back to the bus. What members miss meanwhile: docs/CLUSTER.md.
 *
 * Rate limits, keepalive and the slow-consumer rule stay per connection, in ConnectionRegistry
 * and FrameAccounting, unchanged.
 */
export class BusRooms implements Rooms, ChatBus {
  readonly nodeId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly busCounters = new BusCounters();
  private readonly local: RoomRegistry<BusRoom>;
  private readonly ledger: BusLedger<BusRoom, ChatConnection>;
  private readonly link: BusLink;
  private readonly ownPrefix: Buffer;
  /** The path handlers take now: `onBus`, or `local` while this process serves its members alone. */
  private path: RoomsPath;
  private readonly onBus: RoomsPath;
  private up = false;
  /** Incremented each time the bus is lost: answers to what was asked before then are stale. */
  private epoch = 0;
  private resyncing = false;
  /** Resyncs that failed in a row (reset when one succeeds): spaces out the retries. */
  private failedResyncs = 0;
  private closed = false;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly connections: ConnectionRegistry,
    accounting: FrameAccounting,
    private readonly options: BusRoomsOptions,
  ) {
    this.ownPrefix = originPrefix(this.nodeId);
    this.local = new RoomRegistry<BusRoom>(connections, accounting, {
      maxRoomsPerConnection: options.maxRoomsPerConnection,
      createRoom: (name) => ({
        name,
        members: new Set(),
        seq: 0,
        channel: roomChannel(name),
        pending: 0,
        subscription: 'none',
      }),
      // a room is kept while own events of it are on their way back
      keepEmpty: (room) => room.pending > 0,
      onForget: (room) => {
        if (this.up && room.subscription !== 'none') this.link.unsubscribe(room.channel).catch(noop);
      },
    });
    this.ledger = new BusLedger<BusRoom, ChatConnection>({
      issue: (op) => this.issue(op),
      subscribe: (room) => this.subscribe(room),
      apply: (op, frame) => {
        this.apply(op, frame);
        this.answered(op.conn);
      },
      settle: (op) => {
        this.settle(op);
        this.answered(op.conn);
      },
    });
    this.link = new BusLink(
      {
        url: options.url,
        clusterNodes: options.clusterNodes,
        nodeId: this.nodeId,
        nodeTimeoutMs: options.nodeTimeoutMs,
        redis: options.redis,
      },
      { message: this.receive, ready: this.tryResync, closed: (reason) => this.lose(reason) },
    );
    this.onBus = {
      join: (conn, room, user) => this.joinOnBus(conn, room, user),
      chat: (conn, room, text, id, ts) => this.chatOnBus(conn, room, text, id, ts),
      leave: (conn, room) => this.leaveOnBus(conn, room),
      leaveAll: (conn) => this.leaveAllOnBus(conn),
      reply: (conn, frame) => {
        if (this.ledger.reply(conn, frame)) this.connections.send(conn, frame);
      },
    };
    this.path = this.local;
  }

  // ---- Rooms: the handlers' calls, on the path of the moment ----

  get size(): number {
    return this.local.size;
  }

  members(room: string): number {
    return this.local.members(room);
  }

  join(conn: ChatConnection, room: string, user: string): ErrorCode | undefined {
    return this.path.join(conn, room, user);
  }

  chat(
    conn: ChatConnection,
    room: string,
    text: string,
    id: string | undefined,
    ts: number | undefined,
  ): ErrorCode | undefined {
    return this.path.chat(conn, room, text, id, ts);
  }

  leave(conn: ChatConnection, room: string): ErrorCode | undefined {
    return this.path.leave(conn, room);
  }

  leaveAll(conn: ChatConnection): void {
    this.path.leaveAll(conn);
  }

  reply(conn: ChatConnection, frame: string): void {
    this.path.reply(conn, frame);
  }

  // ---- ChatBus ----

  get isUp(): boolean {
    return this.up;
  }

  get inFlightEvents(): number {
    return this.ledger.size;
  }

  /** Interval of the heartbeat: a third of the node timeout. */
  private get beatMs(): number {
    return Math.max(50, Math.floor(this.options.nodeTimeoutMs / 3));
  }

  async start(waitMs: number): Promise<boolean> {
    this.heartbeat = setInterval(this.beat, this.beatMs);
    this.heartbeat.unref();
    await this.link.connect();
    const deadline = Date.now() + waitMs;
    while (!this.up && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.up;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    // the disconnected members' leaves first, or the unregister would announce them too
    this.link.flush();
    if (this.up) await this.link.unregister([...this.local.all()].map((room) => room.name)).catch(noop);
    this.closed = true;
    this.up = false;
    this.path = this.local;
    this.link.disconnect();
  }

  // ---- on the bus: asking Redis ----

  private joinOnBus(conn: ChatConnection, roomName: string, user: string): ErrorCode | undefined {
    const refusal = this.local.refuseJoin(conn, roomName, user);
    if (refusal !== undefined) return refusal;
    conn.user = user;
    conn.rooms.add(roomName);
    this.ledger.submit('join', this.local.open(roomName), conn, user, '');
    return undefined;
  }

  private chatOnBus(
    conn: ChatConnection,
    roomName: string,
    text: string,
    id: string | undefined,
    ts: number | undefined,
  ): ErrorCode | undefined {
    if (!conn.rooms.has(roomName)) return 'not_joined';
    const user = conn.user as string;
    this.ledger.submit(
      'chat',
      this.local.find(roomName) as BusRoom,
      conn,
      user,
      chatFrameHead(roomName, user, text, id, ts),
    );
    return undefined;
  }

  private leaveOnBus(conn: ChatConnection, roomName: string): ErrorCode | undefined {
    if (!conn.rooms.has(roomName)) return 'not_joined';
    conn.rooms.delete(roomName);
    this.ledger.submit('leave', this.local.find(roomName) as BusRoom, conn, conn.user as string, '');
    return undefined;
  }

  private leaveAllOnBus(conn: ChatConnection): void {
    for (const roomName of conn.rooms) {
      const room = this.local.find(roomName) as BusRoom;
      room.members.delete(conn);
      this.ledger.submit('gone', room, conn, conn.user as string, '');
    }
  }

  /** An event the ledger sends now: it goes with the other events of this turn, in one call. */
  private issue(op: RoomOp<BusRoom, ChatConnection>): void {
    this.busCounters.published++;
    if (op.kind === 'chat') this.link.queueChat(op.room.name, op.id, op.head);
    else this.link.queueMember(op.kind === 'join' ? 'j' : 'l', op.room.name, op.id, op.conn.id, op.user);
  }

  /** Subscribes to a room's channel; its events wait in the ledger until Redis acknowledged it. */
  private subscribe(room: BusRoom): void {
    room.subscription = 'asked';
    const epoch = this.epoch;
    this.link.subscribe(room.channel).then(() => {
      if (epoch === this.epoch) this.ledger.subscribed(room);
    }, this.link.onFailure);
  }

  // ---- what Redis publishes ----

  private readonly receive = (channel: Buffer, message: Buffer): void => {
    if (!this.up) return; // serving alone: the bus resumes after the next sync
    this.busCounters.received++;
    const end = originEnd(message);
    if (end < 0) return;
    const frame = message.subarray(end + 1);
    if (hasOrigin(message, this.ownPrefix, end)) {
      this.ledger.received(decimalAt(message, this.ownPrefix.length, end), frame);
      return;
    }
    const room = this.local.find(channelRoom(channel));
    if (room === undefined) return;
    const type = frameType(frame);
    if (type === FRAME_CHAT) room.seq = chatSeq(frame);
    this.deliver(room, frame, type);
  };

  /** An own event is back from Redis: membership changes take effect, then the room gets it. */
  private apply(op: RoomOp<BusRoom, ChatConnection>, frame: Buffer): void {
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
    this.local.closeIfEmpty(room);
  }

  /** An op Redis will not send back: delivered here as the in-process path would. */
  private settle(op: Op<BusRoom, ChatConnection>): void {
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
    this.local.closeIfEmpty(room);
  }

  /** After an op's frames went out: a connection owed nothing more behind the bus is told so. */
  private answered(conn: ChatConnection): void {
    if (conn.busPending === 0) conn.onBusSettled?.();
  }

  private deliver(room: BusRoom, frame: Buffer, type: number): void {
    this.local.deliver(room, frame, type === FRAME_CHAT ? 'chat' : type === FRAME_JOIN ? 'join' : 'leave');
  }

  // ---- losing and regaining Redis ----

  /** Leaves the bus: what is in flight is settled locally; serving goes on in this process. */
  private lose(reason: string): void {
    if (!this.up) return;
    this.up = false;
    this.path = this.local;
    this.epoch++;
    this.link.onFailure = noop;
    this.link.dropQueued();
    this.busCounters.lost++;
    this.ledger.lost();
    for (const room of this.local.all()) room.subscription = 'none';
    this.options.onStateChange?.(false, reason);
    if (!this.closed) {
      const delay = Math.min(RESYNC_RETRY_MS * 2 ** this.failedResyncs, this.beatMs);
      this.failedResyncs++;
      setTimeout(this.tryResync, delay).unref();
    }
  }

  private readonly tryResync = (): void => {
    if (this.up || this.resyncing || this.closed || !this.link.ready) return;
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
    const rooms = new Set(this.local.all());
    try {
      await this.link.unsubscribe();
      if (rooms.size > 0) await this.link.subscribe(...[...rooms].map((room) => room.channel));
    } catch {
      return; // the next heartbeat tries again
    }
    if (this.up || this.closed || !this.link.ready) return;
    const syncs: [room: string, lastSeq: number, members: (string | number)[]][] = [];
    for (const room of this.local.all()) {
      room.subscription = rooms.has(room) ? 'done' : 'none';
      const members: (string | number)[] = [];
      for (const member of room.members) members.push(member.id, member.user as string);
      syncs.push([room.name, room.seq, members]);
    }
    const epoch = this.epoch;
    this.link.onFailure = (err: unknown) => {
      if (epoch === this.epoch) this.lose(`Redis command failed: ${(err as Error)?.message ?? err}`);
    };
    this.up = true;
    this.path = this.onBus;
    this.busCounters.resyncs++;
    // each room's sync is sent now, ahead of any later event of the room
    Promise.all(syncs.map(([room, lastSeq, members]) => this.link.sync(room, lastSeq, members))).then(() => {
      if (epoch !== this.epoch) return;
      this.failedResyncs = 0;
      this.options.onStateChange?.(true, 'registered on the bus');
    }, this.link.onFailure);
    // rooms that appeared while subscribing: their own subscription
    for (const room of this.local.all()) {
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
    // the rooms where this process has members registered in Redis
    const rooms = [...this.local.all()].filter((room) => room.members.size > 0).map((room) => room.name);
    this.link.heartbeat(rooms, MAX_REAPED_PER_BEAT).then(([registered, reaped]) => {
      this.busCounters.reaped += reaped;
      if (registered === 0 && epoch === this.epoch) this.lose('this process was presumed dead and reaped');
    }, this.link.onFailure);
  };
}
