import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { ChatConnection } from './chat-connection.js';

describe('ChatConnection', () => {
  it('starts with no user, no room, alive, not cut, not corked, nothing pending on a bus', () => {
    const socket = {} as WebSocket;
    const conn = new ChatConnection(42, socket);
    expect(conn.id).toBe(42);
    expect(conn.socket).toBe(socket);
    expect(conn.user).toBeUndefined();
    expect(conn.rooms).toBeInstanceOf(Set);
    expect(conn.rooms.size).toBe(0);
    expect(conn.alive).toBe(true);
    expect(conn.cut).toBe(false);
    expect(conn.corked).toBe(false);
    expect(conn.busPending).toBe(0);
  });

  it('keys its rate-limit state by its id', () => {
    expect(new ChatConnection(1, {} as WebSocket).limiterKey).toBe('conn:1');
    expect(new ChatConnection(907, {} as WebSocket).limiterKey).toBe('conn:907');
  });

  it('has its own set of rooms', () => {
    const a = new ChatConnection(1, {} as WebSocket);
    const b = new ChatConnection(2, {} as WebSocket);
    a.rooms.add('lobby');
    expect(b.rooms.size).toBe(0);
  });
});
