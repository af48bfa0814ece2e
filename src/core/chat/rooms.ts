import type { ErrorCode } from '../protocol/contract.js';
import type { ChatConnection } from './chat-connection.js';

/**
 * The rooms of a chat server as its handlers use them (both profiles): join, chat and leave, each
 * returning the contract's error code or undefined when it succeeded. Two implementations: the
 * in-process RoomRegistry, and BusRooms (src/core/bus), rooms shared by many processes through
 * Redis. Profile A injects it under this token.
 */
export interface Rooms {
  /** Rooms with members in this process. */
  readonly size: number;
  /** Members of `room` in this process. */
  members(room: string): number;
  join(conn: ChatConnection, room: string, user: string): ErrorCode | undefined;
  chat(
    conn: ChatConnection,
    room: string,
    text: string,
    id: string | undefined,
    ts: number | undefined,
  ): ErrorCode | undefined;
  leave(conn: ChatConnection, room: string): ErrorCode | undefined;
  /** A closed connection leaves every room it was in; the remaining members get `leave`. */
  leaveAll(conn: ChatConnection): void;
  /**
   * An answer to one connection (a pong, an error), sent after every room event this connection
   * caused before it: one sender's frames keep their order.
   */
  reply(conn: ChatConnection, frame: string): void;
}
export const Rooms = Symbol('Rooms');
