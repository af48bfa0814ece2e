import { describe, expect, it } from 'vitest';
import { BusLedger, type LedgerConnection, type LedgerRoom, type Op, type RoomOp } from './bus-ledger.js';

interface TestRoom extends LedgerRoom {
  readonly name: string;
}
interface TestConn extends LedgerConnection {
  readonly name: string;
}

const room = (name: string, subscription: LedgerRoom['subscription'] = 'done'): TestRoom => ({
  name,
  pending: 0,
  subscription,
});
const conn = (name: string): TestConn => ({ name, busPending: 0 });

/** A ledger whose effects are written down, in order, as short strings. */
function setup() {
  const log: string[] = [];
  const describeOp = (op: Op<TestRoom, TestConn>) =>
    op.kind === 'reply' ? `reply ${op.conn.name} ${op.frame}` : `${op.kind} ${op.room.name} ${op.conn.name}#${op.id}`;
  const ledger = new BusLedger<TestRoom, TestConn>({
    issue: (op) => log.push(`issue ${describeOp(op)}`),
    subscribe: (r) => {
      r.subscription = 'asked';
      log.push(`subscribe ${r.name}`);
    },
    apply: (op: RoomOp<TestRoom, TestConn>, frame) => log.push(`apply ${describeOp(op)} ${frame.toString()}`),
    settle: (op) => log.push(`settle ${describeOp(op)}`),
  });
  return { ledger, log };
}

describe('BusLedger: asking Redis', () => {
  it('issues an event of a subscribed room at once, counting it on the room and the connection', () => {
    const { ledger, log } = setup();
    const [r, a] = [room('r'), conn('a')];
    ledger.submit('chat', r, a, 'alice', 'head');
    expect(log).toEqual(['issue chat r a#1']);
    expect([r.pending, a.busPending, ledger.size]).toEqual([1, 1, 1]);
  });

  it('holds an event of a room not subscribed yet, and everything after it, until Redis acknowledges', () => {
    const { ledger, log } = setup();
    const [fresh, known, a, b] = [room('fresh', 'none'), room('known'), conn('a'), conn('b')];
    ledger.submit('join', fresh, a, 'alice', '');
    ledger.submit('chat', fresh, a, 'alice', 'h');
    ledger.submit('chat', known, b, 'bob', 'h'); // another room, subscribed: still waits (one order)
    expect(log).toEqual(['subscribe fresh']); // asked once
    expect(ledger.size).toBe(3);
    ledger.subscribed(fresh);
    expect(log.slice(1)).toEqual(['issue join fresh a#1', 'issue chat fresh a#2', 'issue chat known b#3']);
    expect(fresh.subscription).toBe('done');
  });

  it("asks every new room's subscription at once, and keeps the order whichever is acknowledged first", () => {
    const { ledger, log } = setup();
    const [one, two, a] = [room('one', 'none'), room('two', 'none'), conn('a')];
    ledger.submit('join', one, a, 'alice', '');
    ledger.submit('join', two, a, 'alice', '');
    expect(log).toEqual(['subscribe one', 'subscribe two']);
    ledger.subscribed(two); // `two` waits behind `one`
    expect(log).toHaveLength(2);
    ledger.subscribed(one);
    expect(log.slice(2)).toEqual(['issue join one a#1', 'issue join two a#2']);
  });

  it('asks again for a subscription lost meanwhile when the events reach its room', () => {
    const { ledger, log } = setup();
    const [one, two, a] = [room('one', 'none'), room('two', 'none'), conn('a')];
    ledger.submit('join', one, a, 'alice', '');
    ledger.submit('join', two, a, 'alice', '');
    two.subscription = 'none'; // (its request was dropped)
    ledger.subscribed(one);
    expect(log.slice(2)).toEqual(['issue join one a#1', 'subscribe two']);
    ledger.subscribed(two);
    expect(log.slice(4)).toEqual(['issue join two a#2']);
  });
});

describe('BusLedger: what comes back', () => {
  it('applies an own event when it comes back, then sends the answers held behind it', () => {
    const { ledger, log } = setup();
    const [r, a] = [room('r'), conn('a')];
    expect(ledger.reply(a, 'pong-0')).toBe(true); // nothing on its way: send now
    ledger.submit('chat', r, a, 'alice', 'h');
    expect(ledger.reply(a, 'pong-1')).toBe(false); // held behind the chat
    expect(a.busPending).toBe(2);
    ledger.received(1, Buffer.from('frame'));
    expect(log).toEqual(['issue chat r a#1', 'apply chat r a#1 frame', 'settle reply a pong-1']);
    expect(ledger.size).toBe(0);
  });

  it('settles, in order, the events older than the one that came back (they cannot come back any more)', () => {
    const { ledger, log } = setup();
    const [r, a] = [room('r'), conn('a')];
    ledger.submit('chat', r, a, 'alice', 'h');
    ledger.submit('chat', r, a, 'alice', 'h');
    ledger.received(2, Buffer.from('second'));
    expect(log.slice(2)).toEqual(['settle chat r a#1', 'apply chat r a#2 second']);
  });

  it('applies only the event that came back: later ones stay in flight, in order', () => {
    const { ledger, log } = setup();
    const [r, a] = [room('r'), conn('a')];
    ledger.submit('chat', r, a, 'alice', 'h');
    ledger.submit('chat', r, a, 'alice', 'h');
    ledger.received(1, Buffer.from('first'));
    expect(log.slice(2)).toEqual(['apply chat r a#1 first']);
    expect(ledger.size).toBe(1);
    ledger.received(2, Buffer.from('second'));
    expect(log.slice(3)).toEqual(['apply chat r a#2 second']);
    expect(ledger.size).toBe(0);
  });

  it('ignores an own event settled before (received after the bus came back)', () => {
    const { ledger, log } = setup();
    ledger.received(5, Buffer.from('late'));
    expect(log).toEqual([]);
  });

  it('holds an answer in the backlog while events wait for a subscription, then in flight or at once', () => {
    const { ledger, log } = setup();
    const [fresh, a, b] = [room('fresh', 'none'), conn('a'), conn('b')];
    ledger.submit('join', fresh, a, 'alice', '');
    b.busPending = 1; // b has an event of its own on its way
    expect(ledger.reply(b, 'for-b')).toBe(false);
    expect(ledger.reply(a, 'for-a')).toBe(false);
    ledger.subscribed(fresh);
    // both answers now wait behind the join in flight
    expect(log).toEqual(['subscribe fresh', 'issue join fresh a#1']);
    ledger.received(1, Buffer.from('j'));
    expect(log.slice(2)).toEqual(['apply join fresh a#1 j', 'settle reply b for-b', 'settle reply a for-a']);
  });

  it('settles an answer at once when it was held only behind the backlog', () => {
    const { ledger, log } = setup();
    const [fresh, a, b] = [room('fresh', 'none'), conn('a'), conn('b')];
    b.busPending = 1;
    expect(ledger.reply(b, 'early')).toBe(false); // nothing in flight or waiting: held in flight
    ledger.submit('join', fresh, a, 'alice', '');
    ledger.received(0, Buffer.from('x')); // nothing applies; the held answer goes
    expect(log).toEqual(['subscribe fresh', 'settle reply b early']);
  });

  it('settles everything in flight, then everything waiting, when Redis goes away', () => {
    const { ledger, log } = setup();
    const [known, fresh, a] = [room('known'), room('fresh', 'none'), conn('a')];
    ledger.submit('chat', known, a, 'alice', 'h');
    ledger.submit('join', fresh, a, 'alice', '');
    ledger.reply(a, 'pong');
    ledger.lost();
    expect(log).toEqual([
      'issue chat known a#1',
      'subscribe fresh',
      'settle chat known a#1',
      'settle join fresh a#2',
      'settle reply a pong',
    ]);
    expect(ledger.size).toBe(0);
  });
});
