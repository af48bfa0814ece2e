/**
 * The chat bus's names and message format, in one place: the keys and channels in Redis, and the
 * published message `<origin>\n<frame>`, read without copying or parsing its frame (pure functions
 * over bytes). The Lua scripts (bus-scripts.ts) build the same names and messages.
 *
 * Keys (room names match `^[A-Za-z0-9_.-]{1,64}$`, so they need no escaping, and neither do
 * user names inside the JSON frames the scripts build), all of one room, one hash tag, one slot:
 *   chat:{R}              sharded pub/sub channel of room R
 *   chat:{R}:members      members of R across all processes (integer)
 *   chat:{R}:seq          last `seq` given out in R
 *   chat:{R}:node:N       members of R connected to process N (hash: connection id -> user)
 *   chat:{R}:nodes        processes with members in R (sorted set: node id -> deadline, Redis TIME ms)
 *   chat:{R}:reaped:N     process N was presumed dead in R (told at its next heartbeat there)
 *
 * A message's origin is `<node>:<op>` for an event a process asked for (it recognises its own by
 * the node id), `-` for one a script made up (a leave for a dead process's members, a join
 * restored after an outage). The frame is the exact server frame of docs/CONTRACT.md.
 */

/** The pub/sub channel of `room`. */
export const roomChannel = (room: string): string => `chat:{${room}}`;

/** The room of a channel `chat:{<room>}`. */
export function channelRoom(channel: Buffer): string {
  return channel.toString('latin1', 6, channel.length - 1);
}

/** The origin prefix of this process's own events: `<node>:`. */
export function originPrefix(nodeId: string): Buffer {
  return Buffer.from(`${nodeId}:`);
}

const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Offset of the first letter of `type` in a server frame: `{"type":"` is 9 bytes. */
const TYPE_OFFSET = 9;

export const FRAME_JOIN = 0x6a; // j
export const FRAME_CHAT = 0x63; // c
export const FRAME_LEAVE = 0x6c; // l

/** Offset of the newline that ends the origin, or -1 for a malformed message. */
export function originEnd(message: Buffer): number {
  return message.indexOf(NEWLINE);
}

/** True when the origin starts with `prefix` (`<node>:`): an event this process asked for. */
export function hasOrigin(message: Buffer, prefix: Buffer, end: number): boolean {
  return end > prefix.length && message.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** The decimal number in `message[from, to)`. */
export function decimalAt(message: Buffer, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + (message[i] as number) - DIGIT_0;
  return value;
}

/** `j`, `c` or `l`: the first letter of the frame's type. */
export function frameType(frame: Buffer): number {
  return frame[TYPE_OFFSET] as number;
}

/** The `seq` of a chat frame, which always ends in `"seq":<digits>}`. */
export function chatSeq(frame: Buffer): number {
  let i = frame.length - 2;
  while (i > 0 && (frame[i] as number) >= DIGIT_0 && (frame[i] as number) <= DIGIT_9) i--;
  return decimalAt(frame, i + 1, frame.length - 1);
}
