import type { ErrorCode } from '../protocol/contract.js';
import { chatFrame, joinFrame, leaveFrame } from '../protocol/frames.js';
import type { ChatConnection } from './chat-connection.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { FrameAccounting } from './frame-accounting.js';
import type { Rooms } from './rooms.js';

/** A room as this process sees it: the members connected here, and the last `seq` it gave out. */
export interface Room {
  readonly name: string;
  readonly members: Set<ChatConnection>;
  /** `seq` of the last accepted chat; the first chat of a room gets 1. */
  seq: number;
}

/** What a user of the registry may add to its rooms (BusRooms: each room's place on the bus). */
export interface RoomRegistryOptions<R extends Room> {
  readonly maxRoomsPerConnection: number;
  /** Makes the object of a new room. */
  readonly createRoom?: (name: string) => R;
  /** An empty room is kept while this says so (BusRooms: own events of it are on their way back). */
  readonly keepEmpty?: (room: R) => boolean;
  /** Told when a room is forgotten. */
  readonly onForget?: (room: R) => void;
}

/**
 * Rooms, their members and their `seq` counters; the semantics of join, chat and leave for both
 * profiles, every member a connection of this process. Each broadcast is serialised and UTF-8
 * encoded once, then the same bytes go to every member. A room exists only while it has members.
 *
 * BusRooms (src/core/bus) composes one of these for rooms shared by many processes: it uses the
 * table of rooms, the join rules and the delivery below, and this in-process path whenever its
 * process serves its members alone.
 */
export class RoomRegistry<R extends Room = Room> implements Rooms {
  private readonly rooms = new Map<string, R>();
  private readonly createRoom: (name: string) => R;

  constructor(
    private readonly connections: ConnectionRegistry,
    private readonly accounting: FrameAccounting,
    private readonly options: RoomRegistryOptions<R>,
  ) {
    this.createRoom = options.createRoom ?? ((name) => ({ name, members: new Set(), seq: 0 }) as unknown as R);
  }

  get size(): number {
    return this.rooms.size;
  }

  members(room: string): number {
    return this.rooms.get(room)?.members.size ?? 0;
  }

  join(conn: ChatConnection, roomName: string, user: string): ErrorCode | undefined {
    const refusal = this.refuseJoin(conn, roomName, user);
    if (refusal !== undefined) return refusal;
    conn.user = user;
    conn.rooms.add(roomName);
    const room = this.open(roomName);
    room.members.add(conn);
    this.deliver(room, Buffer.from(joinFrame(roomName, user, room.members.size)), 'join');
    return undefined;
  }

  chat(
    conn: ChatConnection,
    roomName: string,
    text: string,
    id: string | undefined,
    ts: number | undefined,
  ): ErrorCode | undefined {
    const room = conn.rooms.has(roomName) ? this.rooms.get(roomName) : undefined;
    if (room === undefined) return 'not_joined';
    room.seq++;
    this.deliver(room, Buffer.from(chatFrame(roomName, conn.user as string, text, id, ts, room.seq)), 'chat');
    return undefined;
  }

  /** Leaves one room; the leaver and the remaining members get the `leave` frame. */
  leave(conn: ChatConnection, roomName: string): ErrorCode | undefined {
    if (!conn.rooms.has(roomName)) return 'not_joined';
    const frame = this.remove(conn, roomName);
    this.connections.send(conn, frame);
    this.accounting.answered('leave');
    return undefined;
  }

  leaveAll(conn: ChatConnection): void {
    for (const roomName of conn.rooms) this.remove(conn, roomName);
  }

  reply(conn: ChatConnection, frame: string): void {
    this.connections.send(conn, frame);
  }

  /** The room rules of a join (docs/CONTRACT.md, order of processing, step 7). */
  refuseJoin(conn: ChatConnection, roomName: string, user: string): ErrorCode | undefined {
    if (conn.user !== undefined && conn.user !== user) return 'invalid_message';
    if (conn.rooms.has(roomName)) return 'already_joined';
    if (conn.rooms.size >= this.options.maxRoomsPerConnection) return 'too_many_rooms';
    return undefined;
  }

  /** The room called `name`, if it is known here. */
  find(name: string): R | undefined {
    return this.rooms.get(name);
  }

  /** The room called `name`, created without members when missing. */
  open(name: string): R {
    let room = this.rooms.get(name);
    if (room === undefined) {
      room = this.createRoom(name);
      this.rooms.set(name, room);
    }
    return room;
  }

  /** Forgets `room` once it has no member (and nothing asks to keep it). */
  closeIfEmpty(room: R): void {
    if (room.members.size > 0 || this.options.keepEmpty?.(room)) return;
    this.rooms.delete(room.name);
    this.options.onForget?.(room);
  }

  all(): IterableIterator<R> {
    return this.rooms.values();
  }

  /** Sends the same bytes to every member of `room` in this process: a broadcast of `type`. */
  deliver(room: R, frame: Buffer, type: 'join' | 'chat' | 'leave'): void {
    for (const member of room.members) this.connections.send(member, frame);
    this.accounting.delivered(type, room.members.size);
  }

  /** Removes `conn` from a room it is in, tells the rest, forgets an empty room. */
  private remove(conn: ChatConnection, roomName: string): Buffer {
    conn.rooms.delete(roomName);
    const room = this.rooms.get(roomName) as R;
    room.members.delete(conn);
    const frame = Buffer.from(leaveFrame(roomName, conn.user as string, room.members.size));
    if (room.members.size > 0) this.deliver(room, frame, 'leave');
    this.closeIfEmpty(room);
    return frame;
  }
}
