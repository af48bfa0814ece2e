/**
 * The order of a process's own room events on the chat bus, and of the answers held behind them.
 * Pure bookkeeping: what to ask of Redis now, what to deliver when an event comes back, what to
 * settle locally when Redis went away. The effects are injected (LedgerEffects), so it has no
 * Redis, socket or timer of its own; BusRooms wires it.
 *
 * The rules (docs/CLUSTER.md, "How it works"):
 * - Own events go to Redis in the order they were asked for, and come back in that order (one
 *   command connection, one subscriber connection); each carries a number to be recognised by.
 * - An event of a room whose subscription Redis has not acknowledged waits, and so does
 *   everything asked for after it (one sender's order across rooms).
 * - An answer to a connection (a pong, an error) waits behind that connection's events still on
 *   their way; with none on their way it is sent at once.
 * - When Redis goes away, everything asked for and not back yet is settled locally, in order.
 */
import { OpQueue } from './op-queue.js';

/** The part of a room the ledger reads and counts. */
export interface LedgerRoom {
  /** Own events of this room asked of Redis and not yet received back (the room is kept meanwhile). */
  pending: number;
  /** Subscription to the room's channel: none, asked, acknowledged. */
  subscription: 'none' | 'asked' | 'done';
}

/** The part of a connection the ledger counts. */
export interface LedgerConnection {
  /** Own room events and held answers of this connection not settled yet. */
  busPending: number;
}

export type OpKind = 'join' | 'chat' | 'leave' | 'gone';

/** A room event this process asked for: a member's join, chat, leave, or disconnect (`gone`). */
export interface RoomOp<R extends LedgerRoom, C extends LedgerConnection> {
  readonly id: number;
  readonly kind: OpKind;
  readonly room: R;
  readonly conn: C;
  readonly user: string;
  /** chat: the frame up to its `seq` value (chatFrameHead). */
  readonly head: string;
}

/** An answer to one connection held behind that connection's events (never sent to Redis). */
export interface ReplyOp<C extends LedgerConnection> {
  readonly id: number;
  readonly kind: 'reply';
  readonly conn: C;
  readonly frame: string;
}

export type Op<R extends LedgerRoom, C extends LedgerConnection> = RoomOp<R, C> | ReplyOp<C>;

/** What the ledger makes happen. */
export interface LedgerEffects<R extends LedgerRoom, C extends LedgerConnection> {
  /** Ask Redis for this event (it comes back through `received`). */
  issue(op: RoomOp<R, C>): void;
  /** Ask Redis to acknowledge a subscription to this room's channel (then call `subscribed`). */
  subscribe(room: R): void;
  /** An own event came back from Redis as `frame`: it takes effect. */
  apply(op: RoomOp<R, C>, frame: Buffer): void;
  /** An op that will not come back from Redis: delivered locally (a held answer is sent). */
  settle(op: Op<R, C>): void;
}

export class BusLedger<R extends LedgerRoom, C extends LedgerConnection> {
  private nextOp = 1;
  /** Asked of Redis, not yet received back. */
  private readonly inFlight = new OpQueue<Op<R, C>>();
  /** Waiting for a room's subscription (and, to keep one sender's order, everything after it). */
  private readonly backlog = new OpQueue<Op<R, C>>();

  constructor(private readonly effects: LedgerEffects<R, C>) {}

  /** Own events and answers not settled yet. */
  get size(): number {
    return this.inFlight.size + this.backlog.size;
  }

  /** A room event: asked of Redis now, or after its room's subscription and what waits before it. */
  submit(kind: OpKind, room: R, conn: C, user: string, head: string): void {
    const op: RoomOp<R, C> = { id: this.nextOp++, kind, room, conn, user, head };
    room.pending++;
    conn.busPending++;
    if (this.backlog.size === 0 && room.subscription === 'done') {
      this.issue(op);
      return;
    }
    this.backlog.push(op);
    if (room.subscription === 'none') this.effects.subscribe(room);
  }

  /** An answer to `conn`: true when it may be sent now; otherwise it is held and settled in turn. */
  reply(conn: C, frame: string): boolean {
    if (conn.busPending === 0) return true;
    conn.busPending++;
    const op: ReplyOp<C> = { id: this.nextOp++, kind: 'reply', conn, frame };
    if (this.backlog.size > 0) this.backlog.push(op);
    else this.inFlight.push(op);
    return false;
  }

  /** Redis acknowledged the subscription of `room`: what waited for it goes out, in order. */
  subscribed(room: R): void {
    room.subscription = 'done';
    for (let op = this.backlog.peek(); op !== undefined; op = this.backlog.peek()) {
      if (op.kind === 'reply') {
        this.backlog.shift();
        if (this.inFlight.size > 0) this.inFlight.push(op);
        else this.effects.settle(op);
        continue;
      }
      if (op.room.subscription !== 'done') {
        if (op.room.subscription === 'none') this.effects.subscribe(op.room);
        return;
      }
      this.backlog.shift();
      this.issue(op);
    }
  }

  /** Own event `id` came back from Redis as `frame`. */
  received(id: number, frame: Buffer): void {
    // Older than the oldest in flight: it was settled locally while the bus was down.
    for (let op = this.inFlight.peek(); op !== undefined && op.id <= id; op = this.inFlight.peek()) {
      this.inFlight.shift();
      if (op.id === id && op.kind !== 'reply') this.effects.apply(op, frame);
      else this.effects.settle(op); // a held answer; or an event lost on ordered connections (cannot happen)
    }
    // answers that waited for this event
    for (let op = this.inFlight.peek(); op?.kind === 'reply'; op = this.inFlight.peek()) {
      this.inFlight.shift();
      this.effects.settle(op);
    }
  }

  /** Redis went away: everything asked for and not back, then everything waiting, is settled locally. */
  lost(): void {
    for (let op = this.inFlight.shift(); op !== undefined; op = this.inFlight.shift()) this.effects.settle(op);
    for (let op = this.backlog.shift(); op !== undefined; op = this.backlog.shift()) this.effects.settle(op);
  }

  private issue(op: RoomOp<R, C>): void {
    this.inFlight.push(op);
    this.effects.issue(op);
  }
}
