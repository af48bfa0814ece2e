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
  /** Measured chats sent to its room before its current membership began counting. */
  since: number;
  /** Measured chats it received in its current membership. */
  got: number;
  /** The harness is closing it (a server's close is not a leave: what it owed then is dropped). */
  leaving: boolean;
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

/**
 * What one phase measured. Deliveries are owed per membership: a member owes every measured chat
 * sent to its room from the moment its join was acknowledged (or the phase began) to its leave.
 * So `expected - delivered` (the drops) is never negative, and what a churning run cannot call a
 * drop is counted apart: chats owed to a member the harness disconnected that had not reached it
 * (in flight when it left), and chats a member got that were sent before its join was
 * acknowledged (the server had it joined a little before the client knew).
 */
export interface Measurement {
  sent: number;
  /** Deliveries owed to members, those in flight to a leaving member excepted. */
  expected: number;
  /** Of those, the ones that arrived. */
  delivered: number;
  /** Every measured delivery received (the throughput's count). */
  received: number;
  /** Owed to a member that left before they reached it. */
  inFlightAtLeave: number;
  /** Received by a member before its join was acknowledged. */
  beforeJoinAck: number;
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
  /** Measured chats sent to each room in this phase. */
  private readonly roomSent = new Map<string, number>();
  private readonly text: string;
  private sending: NodeJS.Timeout | undefined;
  /** Sends are flagged as measured (`id` starting with m). */
  private marking = false;
  /** Deliveries of measured sends are counted. */
  private counting = false;
  private sent = 0;
  /** Settled memberships: owed and delivered, in flight at a leave, before a join ack. */
  private expected = 0;
  private delivered = 0;
  private inFlightAtLeave = 0;
  private beforeJoinAck = 0;
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
        since: 0,
        got: 0,
        leaving: false,
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
      member.leaving = false;
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
          if (this.counting) this.settle(member, member.leaving);
          this.progress.connections--;
        }
      });
      ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString());
        if (frame.type === 'chat') return this.onChat(member, frame);
        if (frame.type === 'join' && frame.user === member.user && !member.joined) {
          clearTimeout(timer);
          member.joined = true;
          member.since = this.roomSent.get(member.room) ?? 0;
          member.got = 0;
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
    member.leaving = true;
    ws.close(1000);
    await closed;
  }

  private onChat(member: Member, frame: { room: string; id: string; ts: number; seq: number }): void {
    if (frame.room !== member.room) this.foreign++;
    if (member.lastSeq !== 0 && frame.seq !== member.lastSeq + 1) this.seqGaps++;
    member.lastSeq = frame.seq;
    if (this.counting && frame.id.charCodeAt(0) === 109 /* m: sent while measuring */) {
      this.received++;
      member.got++;
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
      this.roomSent.set(member.room, (this.roomSent.get(member.room) ?? 0) + 1);
    }
  }

  /** Chats owed to `member` in its current membership. */
  private owed(member: Member): number {
    return (this.roomSent.get(member.room) ?? 0) - member.since;
  }

  /**
   * Ends the counting of `member`'s membership: it left (the harness closed it: what had not
   * reached it was in flight), or the phase ended or the server closed it (what had not reached
   * it is dropped).
   */
  private settle(member: Member, left: boolean): void {
    const owed = this.owed(member);
    const arrived = Math.min(member.got, owed);
    this.beforeJoinAck += member.got - arrived;
    this.delivered += arrived;
    if (left) {
      this.expected += arrived; // what had not arrived was in flight when it left
      this.inFlightAtLeave += owed - arrived;
    } else {
      this.expected += owed;
    }
    member.since = this.roomSent.get(member.room) ?? 0;
    member.got = 0;
  }

  /** Counts from now on; `stop()` ends the phase, waits (bounded) for deliveries in flight. */
  beginMeasure(): { stop: () => Promise<Measurement> } {
    this.latency.reset();
    this.sent = this.expected = this.delivered = this.received = this.seqGaps = this.foreign = 0;
    this.inFlightAtLeave = this.beforeJoinAck = 0;
    this.roomSent.clear();
    for (const member of this.members) {
      member.since = 0;
      member.got = 0;
    }
    this.errors = {};
    this.marking = true;
    this.counting = true;
    const started = performance.now();
    return {
      stop: async () => {
        const seconds = (performance.now() - started) / 1000;
        this.marking = false;
        // wait (bounded) until every member has what it is owed
        const deadline = performance.now() + 3000;
        const missing = () => this.members.some((m) => m.joined && m.got < this.owed(m));
        while (missing() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        for (const member of this.members) if (member.joined) this.settle(member, false);
        this.counting = false;
        return {
          sent: this.sent,
          expected: this.expected,
          delivered: this.delivered,
          received: this.received,
          inFlightAtLeave: this.inFlightAtLeave,
          beforeJoinAck: this.beforeJoinAck,
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
