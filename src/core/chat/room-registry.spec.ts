import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { ChatConnection } from './chat-connection.js';
import { ConnectionRegistry } from './connection-registry.js';
import { chatConnectionPolicy } from '../limiter/policy.js';
import { FrameAccounting } from './frame-accounting.js';
import { RoomRegistry } from './room-registry.js';

/** The members of a `ws` WebSocket that the registries use; records what is sent. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: Array<string | Buffer> = [];
  _socket = { cork: () => {}, uncork: () => {} };
  send(data: string | Buffer): void {
    this.sent.push(data);
  }
  terminate(): void {}
  close(): void {}
  ping(): void {}
}

interface Client {
  conn: ChatConnection;
  socket: FakeSocket;
  /** Everything sent to this client, decoded as text. */
  frames(): string[];
}

function setup(maxRoomsPerConnection = 8) {
  const connections = new ConnectionRegistry({ maxBufferedBytes: 1 << 20, keepaliveIntervalMs: 30_000 });
  const accounting = new FrameAccounting(
    {
      consume: () => ({ allowed: true, remaining: 0, retryAfterMs: 0, resetMs: 0, now: 0, store: 'memory' }),
      forget: () => {},
    },
    chatConnectionPolicy({ rateLimitCapacity: 10, rateLimitRefillPerSec: 10 }),
  );
  const rooms = new RoomRegistry(connections, accounting, { maxRoomsPerConnection });
  const client = (): Client => {
    const socket = new FakeSocket();
    const conn = connections.open(socket as unknown as WebSocket);
    return { conn, socket, frames: () => socket.sent.map((d) => d.toString()) };
  };
  return { connections, rooms, counters: accounting.counters, client };
}

const join = (room: string, user: string, members: number): string =>
  `{"type":"join","room":"${room}","user":"${user}","members":${members}}`;
const leave = (room: string, user: string, members: number): string =>
  `{"type":"leave","room":"${room}","user":"${user}","members":${members}}`;

describe('RoomRegistry: join', () => {
  it('creates the room, binds the user and sends the join frame to the joiner', () => {
    const { rooms, counters, client } = setup();
    const alice = client();
    expect(rooms.size).toBe(0);
    expect(rooms.members('lobby')).toBe(0);
    expect(rooms.join(alice.conn, 'lobby', 'alice')).toBeUndefined();
    expect(alice.conn.user).toBe('alice');
    expect([...alice.conn.rooms]).toEqual(['lobby']);
    expect(rooms.size).toBe(1);
    expect(rooms.members('lobby')).toBe(1);
    expect(alice.frames()).toEqual([join('lobby', 'alice', 1)]);
    expect(Buffer.isBuffer(alice.socket.sent[0])).toBe(true);
    expect(counters.framesOut).toEqual({ join: 1, chat: 0, leave: 0, pong: 0, error: 0 });
    expect(counters.deliveries).toBe(1);
  });

  it('sends one encoding of the join, with the new member count, to every member', () => {
    const { rooms, counters, client } = setup();
    const alice = client();
    const bob = client();
    const carol = client();
    rooms.join(alice.conn, 'lobby', 'alice');
    rooms.join(bob.conn, 'lobby', 'bob');
    expect(rooms.join(carol.conn, 'lobby', 'carol')).toBeUndefined();
    expect(rooms.members('lobby')).toBe(3);
    expect(rooms.size).toBe(1);
    expect(alice.frames()).toEqual([join('lobby', 'alice', 1), join('lobby', 'bob', 2), join('lobby', 'carol', 3)]);
    expect(bob.frames()).toEqual([join('lobby', 'bob', 2), join('lobby', 'carol', 3)]);
    expect(carol.frames()).toEqual([join('lobby', 'carol', 3)]);
    // The same bytes (one Buffer) for every recipient.
    expect(alice.socket.sent[2]).toBe(carol.socket.sent[0]);
    expect(bob.socket.sent[1]).toBe(carol.socket.sent[0]);
    expect(counters.framesOut.join).toBe(6);
    expect(counters.deliveries).toBe(6);
  });

  it('counts each connection of the same user as a member', () => {
    const { rooms, client } = setup();
    const a = client();
    const b = client();
    rooms.join(a.conn, 'r', 'same');
    expect(rooms.join(b.conn, 'r', 'same')).toBeUndefined();
    expect(rooms.members('r')).toBe(2);
    expect(b.frames()).toEqual([join('r', 'same', 2)]);
  });

  it('refuses a join for a room already joined, changing nothing', () => {
    const { rooms, counters, client } = setup();
    const alice = client();
    rooms.join(alice.conn, 'lobby', 'alice');
    expect(rooms.join(alice.conn, 'lobby', 'alice')).toBe('already_joined');
    expect(rooms.members('lobby')).toBe(1);
    expect(alice.frames()).toEqual([join('lobby', 'alice', 1)]);
    expect(counters.framesOut.join).toBe(1);
    expect(counters.deliveries).toBe(1);
  });

  it('refuses a join under another user than the bound one, before any other rule', () => {
    const { rooms, counters, client } = setup(1);
    const alice = client();
    rooms.join(alice.conn, 'lobby', 'alice');
    expect(rooms.join(alice.conn, 'other', 'mallory')).toBe('invalid_message');
    expect(rooms.join(alice.conn, 'lobby', 'mallory')).toBe('invalid_message');
    expect(alice.conn.user).toBe('alice');
    expect([...alice.conn.rooms]).toEqual(['lobby']);
    expect(rooms.size).toBe(1);
    expect(rooms.members('other')).toBe(0);
    expect(alice.frames()).toEqual([join('lobby', 'alice', 1)]);
    expect(counters.framesOut.join).toBe(1);
  });

  it('keeps the user bound after the connection left every room', () => {
    const { rooms, client } = setup();
    const alice = client();
    rooms.join(alice.conn, 'lobby', 'alice');
    rooms.leave(alice.conn, 'lobby');
    expect(rooms.join(alice.conn, 'lobby', 'bob')).toBe('invalid_message');
    expect(rooms.size).toBe(0);
    expect(rooms.join(alice.conn, 'lobby', 'alice')).toBeUndefined();
    expect(rooms.members('lobby')).toBe(1);
  });

  it('allows exactly maxRoomsPerConnection rooms per connection', () => {
    const { rooms, counters, client } = setup(3);
    const alice = client();
    expect(rooms.join(alice.conn, 'a', 'alice')).toBeUndefined();
    expect(rooms.join(alice.conn, 'b', 'alice')).toBeUndefined();
    expect(rooms.join(alice.conn, 'c', 'alice')).toBeUndefined();
    expect(rooms.join(alice.conn, 'd', 'alice')).toBe('too_many_rooms');
    expect(rooms.join(alice.conn, 'c', 'alice')).toBe('already_joined'); // checked before the bound
    expect([...alice.conn.rooms]).toEqual(['a', 'b', 'c']);
    expect(rooms.size).toBe(3);
    expect(rooms.members('d')).toBe(0);
    expect(counters.framesOut.join).toBe(3);
    // A leave makes room for another join.
    rooms.leave(alice.conn, 'a');
    expect(rooms.join(alice.conn, 'd', 'alice')).toBeUndefined();
    // The bound is per connection.
    const bob = client();
    expect(rooms.join(bob.conn, 'a', 'bob')).toBeUndefined();
  });
});

describe('RoomRegistry: chat', () => {
  it('numbers the chats of a room from 1 and sends the same bytes to every member, the sender included', () => {
    const { rooms, counters, client } = setup();
    const alice = client();
    const bob = client();
    rooms.join(alice.conn, 'lobby', 'alice');
    rooms.join(bob.conn, 'lobby', 'bob');
    const before = { alice: alice.socket.sent.length, bob: bob.socket.sent.length };

    expect(rooms.chat(alice.conn, 'lobby', 'hi', 'm1', 1.5)).toBeUndefined();
    expect(rooms.chat(bob.conn, 'lobby', 'hello', undefined, undefined)).toBeUndefined();
    expect(rooms.chat(alice.conn, 'lobby', 'x', 'm3', undefined)).toBeUndefined();
    expect(rooms.chat(alice.conn, 'lobby', 'y', undefined, 0)).toBeUndefined();

    const expected = [
      '{"type":"chat","room":"lobby","user":"alice","text":"hi","id":"m1","ts":1.5,"seq":1}',
      '{"type":"chat","room":"lobby","user":"bob","text":"hello","seq":2}',
      '{"type":"chat","room":"lobby","user":"alice","text":"x","id":"m3","seq":3}',
      '{"type":"chat","room":"lobby","user":"alice","text":"y","ts":0,"seq":4}',
    ];
    expect(alice.frames().slice(before.alice)).toEqual(expected);
    expect(bob.frames().slice(before.bob)).toEqual(expected);
    for (let i = 0; i < 4; i++) {
      expect(alice.socket.sent[before.alice + i]).toBe(bob.socket.sent[before.bob + i]);
      expect(Buffer.isBuffer(alice.socket.sent[before.alice + i])).toBe(true);
    }
    expect(counters.framesOut.chat).toBe(8);
    expect(counters.deliveries).toBe(3 + 8); // joins 1 + 2, then 4 chats to 2 members
  });

  it('keeps one seq per room', () => {
    const { rooms, client } = setup();
    const alice = client();
    rooms.join(alice.conn, 'a', 'alice');
    rooms.join(alice.conn, 'b', 'alice');
    rooms.chat(alice.conn, 'a', '1', undefined, undefined);
    rooms.chat(alice.conn, 'a', '2', undefined, undefined);
    rooms.chat(alice.conn, 'b', '3', undefined, undefined);
    expect(alice.frames().slice(2)).toEqual([
      '{"type":"chat","room":"a","user":"alice","text":"1","seq":1}',
      '{"type":"chat","room":"a","user":"alice","text":"2","seq":2}',
      '{"type":"chat","room":"b","user":"alice","text":"3","seq":1}',
    ]);
  });

  it('refuses a chat for a room the connection is not in, even if the room exists, without using a seq', () => {
    const { rooms, counters, client } = setup();
    const alice = client();
    const bob = client();
    rooms.join(alice.conn, 'lobby', 'alice');
    expect(rooms.chat(bob.conn, 'lobby', 'intruder', undefined, undefined)).toBe('not_joined');
    expect(rooms.chat(alice.conn, 'nowhere', 'lost', undefined, undefined)).toBe('not_joined');
    expect(rooms.size).toBe(1);
    expect(rooms.members('nowhere')).toBe(0);
    expect(alice.frames()).toEqual([join('lobby', 'alice', 1)]);
    expect(bob.frames()).toEqual([]);
    expect(counters.framesOut.chat).toBe(0);
    expect(counters.deliveries).toBe(1);
    rooms.chat(alice.conn, 'lobby', 'first', undefined, undefined);
    expect(alice.frames()[1]).toBe('{"type":"chat","room":"lobby","user":"alice","text":"first","seq":1}');
  });
});

describe('RoomRegistry: leave and leaveAll', () => {
  it('sends the leave, with the members left, to the remaining members and to the leaver', () => {
    const { rooms, counters, client } = setup();
    const alice = client();
    const bob = client();
    const carol = client();
    rooms.join(alice.conn, 'lobby', 'alice');
    rooms.join(bob.conn, 'lobby', 'bob');
    rooms.join(carol.conn, 'lobby', 'carol');
    const deliveries = counters.deliveries;

    expect(rooms.leave(bob.conn, 'lobby')).toBeUndefined();
    expect([...bob.conn.rooms]).toEqual([]);
    expect(bob.conn.user).toBe('bob');
    expect(rooms.members('lobby')).toBe(2);
    expect(rooms.size).toBe(1);
    const frame = leave('lobby', 'bob', 2);
    expect(alice.frames().at(-1)).toBe(frame);
    expect(carol.frames().at(-1)).toBe(frame);
    expect(bob.frames().at(-1)).toBe(frame);
    expect(alice.socket.sent.at(-1)).toBe(bob.socket.sent.at(-1));
    expect(carol.socket.sent.at(-1)).toBe(bob.socket.sent.at(-1));
    expect(counters.framesOut.leave).toBe(3);
    expect(counters.deliveries).toBe(deliveries + 2); // the remaining members

    // bob no longer receives the room's traffic.
    const bobFrames = bob.socket.sent.length;
    rooms.chat(alice.conn, 'lobby', 'bye', undefined, undefined);
    expect(bob.socket.sent.length).toBe(bobFrames);
    expect(carol.frames().at(-1)).toBe('{"type":"chat","room":"lobby","user":"alice","text":"bye","seq":1}');
  });

  it('forgets a room when its last member leaves; a later join starts seq over', () => {
    const { rooms, counters, client } = setup();
    const alice = client();
    rooms.join(alice.conn, 'lobby', 'alice');
    rooms.chat(alice.conn, 'lobby', 'one', undefined, undefined);
    rooms.chat(alice.conn, 'lobby', 'two', undefined, undefined);
    const deliveries = counters.deliveries;
    expect(rooms.leave(alice.conn, 'lobby')).toBeUndefined();
    expect(alice.frames().at(-1)).toBe(leave('lobby', 'alice', 0));
    expect(Buffer.isBuffer(alice.socket.sent.at(-1))).toBe(true);
    expect(rooms.size).toBe(0);
    expect(rooms.members('lobby')).toBe(0);
    expect(counters.framesOut.leave).toBe(1);
    expect(counters.deliveries).toBe(deliveries);

    expect(rooms.join(alice.conn, 'lobby', 'alice')).toBeUndefined();
    expect(alice.frames().at(-1)).toBe(join('lobby', 'alice', 1));
    rooms.chat(alice.conn, 'lobby', 'again', undefined, undefined);
    expect(alice.frames().at(-1)).toBe('{"type":"chat","room":"lobby","user":"alice","text":"again","seq":1}');
  });

  it('refuses a leave for a room the connection is not in', () => {
    const { rooms, counters, client } = setup();
    const alice = client();
    const bob = client();
    expect(rooms.leave(alice.conn, 'lobby')).toBe('not_joined');
    rooms.join(alice.conn, 'lobby', 'alice');
    expect(rooms.leave(bob.conn, 'lobby')).toBe('not_joined');
    expect(rooms.members('lobby')).toBe(1);
    expect(bob.frames()).toEqual([]);
    expect(alice.frames()).toEqual([join('lobby', 'alice', 1)]);
    expect(counters.framesOut.leave).toBe(0);
  });

  it('leaveAll removes a closed connection from every room and tells the remaining members only', () => {
    const { rooms, counters, client } = setup();
    const alice = client();
    const bob = client();
    const carol = client();
    rooms.join(alice.conn, 'a', 'alice');
    rooms.join(alice.conn, 'b', 'alice');
    rooms.join(alice.conn, 'c', 'alice');
    rooms.join(bob.conn, 'a', 'bob');
    rooms.join(carol.conn, 'b', 'carol');
    rooms.join(carol.conn, 'a', 'carol');
    const sent = { alice: alice.socket.sent.length, bob: bob.socket.sent.length, carol: carol.socket.sent.length };
    const deliveries = counters.deliveries;

    rooms.leaveAll(alice.conn);
    expect([...alice.conn.rooms]).toEqual([]);
    expect(alice.socket.sent.length).toBe(sent.alice);
    expect(bob.frames().slice(sent.bob)).toEqual([leave('a', 'alice', 2)]);
    expect(carol.frames().slice(sent.carol)).toEqual([leave('a', 'alice', 2), leave('b', 'alice', 1)]);
    expect(bob.socket.sent.at(-1)).toBe(carol.socket.sent.at(-2));
    expect(rooms.size).toBe(2); // c was alice's alone
    expect(rooms.members('a')).toBe(2);
    expect(rooms.members('b')).toBe(1);
    expect(rooms.members('c')).toBe(0);
    expect(counters.framesOut.leave).toBe(3);
    expect(counters.deliveries).toBe(deliveries + 3);
  });

  it('leaveAll of a connection in no room does nothing', () => {
    const { rooms, counters, client } = setup();
    const alice = client();
    rooms.leaveAll(alice.conn);
    expect(rooms.size).toBe(0);
    expect(alice.socket.sent).toEqual([]);
    expect(counters.framesOut.leave).toBe(0);
  });
});

describe('RoomRegistry: reply', () => {
  it('sends the answer to the one connection, after the room events it caused', () => {
    const { rooms, client } = setup();
    const alice = client();
    const bob = client();
    rooms.join(bob.conn, 'lobby', 'bob');
    rooms.join(alice.conn, 'lobby', 'alice');
    rooms.reply(alice.conn, '{"type":"pong","ts":7}');
    rooms.chat(alice.conn, 'lobby', 'hi', undefined, undefined);
    rooms.reply(alice.conn, '{"type":"error","code":"not_joined","message":"not a member of this room"}');
    expect(alice.frames()).toEqual([
      join('lobby', 'alice', 2),
      '{"type":"pong","ts":7}',
      '{"type":"chat","room":"lobby","user":"alice","text":"hi","seq":1}',
      '{"type":"error","code":"not_joined","message":"not a member of this room"}',
    ]);
    expect(bob.frames()).toEqual([
      join('lobby', 'bob', 1),
      join('lobby', 'alice', 2),
      '{"type":"chat","room":"lobby","user":"alice","text":"hi","seq":1}',
    ]);
  });
});

describe('RoomRegistry: the table of rooms, for those who compose it', () => {
  const setupWith = (options: { keep?: boolean } = {}) => {
    const connections = new ConnectionRegistry({ maxBufferedBytes: 1 << 20, keepaliveIntervalMs: 30_000 });
    const accounting = new FrameAccounting(
      {
        consume: () => ({ allowed: true, remaining: 0, retryAfterMs: 0, resetMs: 0, now: 0, store: 'memory' }),
        forget: () => {},
      },
      chatConnectionPolicy({ rateLimitCapacity: 10, rateLimitRefillPerSec: 10 }),
    );
    const forgotten: string[] = [];
    let keep = options.keep ?? false;
    const rooms = new RoomRegistry<{ name: string; members: Set<ChatConnection>; seq: number; tag: string }>(
      connections,
      accounting,
      {
        maxRoomsPerConnection: 8,
        createRoom: (name) => ({ name, members: new Set(), seq: 0, tag: `made ${name}` }),
        keepEmpty: () => keep,
        onForget: (room) => forgotten.push(room.name),
      },
    );
    const client = () => connections.open(new FakeSocket() as unknown as WebSocket);
    return { rooms, forgotten, client, setKeep: (v: boolean) => (keep = v) };
  };

  it('makes rooms with the given factory, finds them, lists them', () => {
    const { rooms, client } = setupWith();
    expect(rooms.find('r')).toBeUndefined();
    rooms.join(client(), 'r', 'u');
    rooms.join(client(), 's', 'v');
    expect(rooms.find('r')?.tag).toBe('made r');
    expect(rooms.open('r')).toBe(rooms.find('r'));
    expect([...rooms.all()].map((r) => r.name)).toEqual(['r', 's']);
    expect(rooms.size).toBe(2);
  });

  it('forgets an empty room (telling onForget), unless it is to be kept, and never one with members', () => {
    const { rooms, forgotten, client, setKeep } = setupWith({ keep: true });
    const a = client();
    rooms.join(a, 'r', 'u');
    rooms.leave(a, 'r');
    expect(rooms.find('r')).toBeDefined(); // kept while keepEmpty says so
    expect(forgotten).toEqual([]);
    setKeep(false);
    rooms.closeIfEmpty(rooms.find('r') as NonNullable<ReturnType<typeof rooms.find>>);
    expect(rooms.find('r')).toBeUndefined();
    expect(forgotten).toEqual(['r']);
    const b = client();
    rooms.join(b, 's', 'v');
    rooms.closeIfEmpty(rooms.find('s') as NonNullable<ReturnType<typeof rooms.find>>);
    expect(rooms.find('s')?.members.size).toBe(1);
    expect(forgotten).toEqual(['r']);
  });
});
