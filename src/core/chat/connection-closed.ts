import type { ChatConnection } from './chat-connection.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { FrameAccounting } from './frame-accounting.js';
import type { Rooms } from './rooms.js';

/**
 * A closed connection, forgotten as both profiles forget it: it leaves every room it was in (the
 * remaining members get `leave`), then the registry and its rate-limit bucket forget it.
 */
export function connectionClosed(
  conn: ChatConnection,
  rooms: Rooms,
  connections: ConnectionRegistry,
  accounting: FrameAccounting,
): void {
  rooms.leaveAll(conn);
  connections.remove(conn);
  accounting.forget(conn);
}
