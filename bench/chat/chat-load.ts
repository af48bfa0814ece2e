/**
 * The chat load generator: many `ws` clients in rooms, each sending 128-byte chats at a fixed
 * rate on a seeded schedule, measuring at every recipient the end-to-end latency from the `ts`
 * the sender put in the message, counting expected versus received deliveries and `seq` gaps.
 */
import WebSocket from 'ws';
import { LatencyHistogram, type LatencySummary } from '../lib/histogram.js';
import type { Progress } from '../lib/progress.js';
import { rng } from '../lib/random.js';

/** Milliseconds since the epoch with sub-millisecond precision (the `ts` of every chat). */
const clock = (): number => performance.timeOrigin + performance.now();

export interface Member {
  readonly index: number;
  readonly user: string;
  room: string;
  ws: WebSocket | undefined;
  joined: boolean;
  /** Last `seq` seen in the room, to find gaps. */
  lastSeq: number;
  phase: number;
}

export interface ChatLoadOptions {
  clients: number;
  /** Members per room (rooms are filled in order). */
  roomSize: number;
  /** Chats per second per client. */
  rate: number;
  /** Characters of chat text. */
  payload: number;
  seed: number;
}

/** What one phase measured. */
export interface Measurement {
  sent: number;
  expected: number;
  received: number;
  seqGaps: number;
  errors: Record<string, number>;
  /** Deliveries outside the member's room: must stay 0. */
  foreign: number;
  latency: LatencySummary;
  seconds: number;
}

export class ChatLoad {
  readonly members: Member[] = [];
  readonly latency = new LatencyHistogram();
  private readonly roomMembers = new Map<string, number>();
  private readonly text: string;
  private sending: NodeJS.Timeout | undefined;
  /** Sends are flagged as measured (`id` starting with m). */
  private marking = false;
  /** Deliveries of measured sends are counted. */
  private counting = false;
  private sent = 0;
  private expected = 0;
  private received = 0;
  private seqGaps = 0;
  private foreign = 0;
  private errors: Record<string, number> = {};
  private nextId = 0;

  constructor(
    private readonly wsUrl: string,
    private readonly options: ChatLoadOptions,
    private readonly progress: Progress,
  ) {
    this.text = 'x'.repeat(options.payload);
    const random = rng(options.seed);
    for (let i = 0; i < options.clients; i++) {
      this.members.push({
        index: i,
        user: `u${i}`,
        room: `room-${Math.floor(i / options.roomSize)}`,
        ws: undefined,
        joined: false,
        lastSeq: 0,
        phase: random(),
      });
    }
    this.members.sort((a, b) => a.phase - b.phase);
  }

  get connected(): number {
    return this.members.filter((m) => m.joined).length;
  }

  /**
   * Opens the member's connection and joins its room; resolves with the time from the start of
   * the connection to its own join acknowledgement, or rejects.
   */
  connect(member: Member, timeoutMs = 10_000): Promise<number> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.wsUrl, { perMessageDeflate: false });
      member.ws = ws;
      member.lastSeq = 0;
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('connect timeout'));
      }, timeoutMs);
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('open', () => ws.send(`{"type":"join","room":"${member.room}","user":"${member.user}"}`));
      ws.on('close', () => {
        if (member.ws === ws && member.joined) {
          member.joined = false;
          this.roomMembers.set(member.room, (this.roomMembers.get(member.room) ?? 1) - 1);
          this.progress.connections--;
        }
      });
      ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString());
        if (frame.type === 'chat') return this.onChat(member, frame);
        if (frame.type === 'join' && frame.user === member.user && !member.joined) {
          clearTimeout(timer);
          member.joined = true;
          this.roomMembers.set(member.room, (this.roomMembers.get(member.room) ?? 0) + 1);
          this.progress.connections++;
          resolve(performance.now() - started);
        } else if (frame.type === 'error') {
          this.errors[frame.code] = (this.errors[frame.code] ?? 0) + 1;
        }
      });
    });
  }

  /** Closes the member's connection and waits for the close. */
  async disconnect(member: Member): Promise<void> {
    const ws = member.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((r) => ws.once('close', r));
    ws.close(1000);
    await closed;
  }

  private onChat(member: Member, frame: { room: string; id: string; ts: number; seq: number }): void {
    if (frame.room !== member.room) this.foreign++;
    if (member.lastSeq !== 0 && frame.seq !== member.lastSeq + 1) this.seqGaps++;
    member.lastSeq = frame.seq;
    if (this.counting && frame.id.charCodeAt(0) === 109 /* m: sent while measuring */) {
      this.received++;
      this.progress.count++;
      this.latency.record(clock() - frame.ts);
    }
  }

  /** Every member sends `rate` chats per second, each at its own phase of the period. */
  startSending(rate = this.options.rate): void {
    this.stopSending();
    const period = 1000 / rate;
    const started = performance.now();
    let cycle = 0;
    let cursor = 0;
    const members = this.members;
    const tick = () => {
      const elapsed = performance.now() - started;
      // every (cycle, member) whose time has come, in time order
      while (cycle * period + (members[cursor] as Member).phase * period <= elapsed) {
        this.send(members[cursor] as Member);
        if (++cursor === members.length) {
          cursor = 0;
          cycle++;
        }
      }
    };
    this.sending = setInterval(tick, 2);
  }

  stopSending(): void {
    if (this.sending) clearInterval(this.sending);
    this.sending = undefined;
  }

  private send(member: Member): void {
    const ws = member.ws;
    if (!member.joined || !ws || ws.readyState !== WebSocket.OPEN) return;
    const measured = this.marking;
    ws.send(
      `{"type":"chat","room":"${member.room}","text":"${this.text}","id":"${measured ? 'm' : 'w'}${this.nextId++}","ts":${clock()}}`,
    );
    if (measured) {
      this.sent++;
      this.expected += this.roomMembers.get(member.room) ?? 0;
    }
  }

  /** Counts from now on; `stop()` ends the phase, waits (bounded) for deliveries in flight. */
  beginMeasure(): { stop: () => Promise<Measurement> } {
    this.latency.reset();
    this.sent = this.expected = this.received = this.seqGaps = this.foreign = 0;
    this.errors = {};
    this.marking = true;
    this.counting = true;
    const started = performance.now();
    return {
      stop: async () => {
        const seconds = (performance.now() - started) / 1000;
        this.marking = false;
        const deadline = performance.now() + 3000;
        while (this.received < this.expected && performance.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        this.counting = false;
        return {
          sent: this.sent,
          expected: this.expected,
          received: this.received,
          seqGaps: this.seqGaps,
          errors: { ...this.errors },
          foreign: this.foreign,
          latency: this.latency.summary(),
          seconds,
        };
      },
    };
  }

  async closeAll(): Promise<void> {
    this.stopSending();
    await Promise.all(this.members.map((m) => this.disconnect(m)));
  }
}
