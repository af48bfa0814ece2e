import type { ErrorCode } from '../protocol/contract.js';
import { chatFrame, joinFrame, leaveFrame } from '../protocol/frames.js';
import type { ChatConnection } from './chat-connection.js';
import type { ConnectionRegistry } from './connection-registry.js';

/** A room as this process sees it: the members connected here, and the last `seq` it gave out. */
export interface Room {
  readonly name: string;
  readonly members: Set<ChatConnection>;
  /** `seq` of the last accepted chat; the first chat of a room gets 1. */
  seq: number;
}

/**
 * Rooms, their members and their `seq` counters; the semantics of join, chat and leave for both
 * profiles. Each broadcast is serialised and UTF-8 encoded once, then the same bytes go to every
 * member. A room exists only while it has members.
 *
 * Methods return the contract error code to send back, or undefined when the request succeeded.
 *
 * This is the in-process path: every member is a connection of this process. RedisRoomRegistry
 * (src/chat/bus) extends it to rooms shared by many processes.
 */
export class RoomRegistry {
  protected readonly rooms = new Map<string, Room>();

  constructor(
    protected readonly connections: ConnectionRegistry,
    private readonly maxRoomsPerConnection: number,
  ) {}

  /** Rooms with members in this process. */
  get size(): number {
    return this.rooms.size;
  }

  /** Number of members of `room` in this process (0 when it has none). */
  members(room: string): number {
    return this.rooms.get(room)?.members.size ?? 0;
  }

  join(conn: ChatConnection, roomName: string, user: string): ErrorCode | undefined {
    const refusal = this.refuseJoin(conn, roomName, user);
    if (refusal !== undefined) return refusal;
    conn.user = user;
    conn.rooms.add(roomName);
    const room = this.room(roomName);
    room.members.add(conn);
    this.broadcast(room, joinFrame(roomName, user, room.members.size));
    this.connections.counters.framesOut.join += room.members.size;
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
    this.broadcast(room, chatFrame(roomName, conn.user as string, text, id, ts, room.seq));
    this.connections.counters.framesOut.chat += room.members.size;
    return undefined;
  }

  /** Leaves one room; the leaver and the remaining members get the `leave` frame. */
  leave(conn: ChatConnection, roomName: string): ErrorCode | undefined {
    if (!conn.rooms.has(roomName)) return 'not_joined';
    const frame = this.remove(conn, roomName);
    this.connections.send(conn, frame);
    this.connections.counters.framesOut.leave++;
    return undefined;
  }

  /** Leaves every room of a closed connection; the remaining members get `leave`. */
  leaveAll(conn: ChatConnection): void {
    for (const roomName of conn.rooms) this.remove(conn, roomName);
  }

  /**
   * Sends an answer to one connection (a pong, an error), after every room event this
   * connection caused before it: one sender's frames keep their order.
   */
  reply(conn: ChatConnection, frame: string): void {
    this.connections.send(conn, frame);
  }

  /** The room rules of a join (docs/CONTRACT.md, order of processing, step 7). */
  protected refuseJoin(conn: ChatConnection, roomName: string, user: string): ErrorCode | undefined {
    if (conn.user !== undefined && conn.user !== user) return 'invalid_message';
    if (conn.rooms.has(roomName)) return 'already_joined';
    if (conn.rooms.size >= this.maxRoomsPerConnection) return 'too_many_rooms';
    return undefined;
  }

  /** The room called `name`, created without members when missing. */
  protected room(name: string): Room {
    let room = this.rooms.get(name);
    if (room === undefined) {
      room = this.createRoom(name);
      this.rooms.set(name, room);
    }
    return room;
  }

  protected createRoom(name: string): Room {
    return { name, members: new Set(), seq: 0 };
  }

  /** Called when the last member of this process left `room`. */
  protected forgetRoom(room: Room): void {
    this.rooms.delete(room.name);
  }

  /** Removes `conn` from a room it is in, tells the rest, forgets an empty room. */
  private remove(conn: ChatConnection, roomName: string): Buffer {
    conn.rooms.delete(roomName);
    const room = this.rooms.get(roomName) as Room;
    room.members.delete(conn);
    const frame = Buffer.from(leaveFrame(roomName, conn.user as string, room.members.size));
    if (room.members.size === 0) this.forgetRoom(room);
    else {
      this.broadcastEncoded(room, frame);
      this.connections.counters.framesOut.leave += room.members.size;
    }
    return frame;
  }

  private broadcast(room: Room, json: string): void {
    this.broadcastEncoded(room, Buffer.from(json));
  }

  /** Sends the same bytes to every member of `room` in this process. */
  protected broadcastEncoded(room: Room, frame: Buffer): void {
    for (const member of room.members) this.connections.send(member, frame);
    this.connections.counters.deliveries += room.members.size;
  }
}
