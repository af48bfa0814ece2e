/**
 * Reading a message of the chat bus without copying or parsing its frame:
 * `<origin>\n<frame>` (see bus-scripts.ts). Pure functions over bytes.
 */

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
