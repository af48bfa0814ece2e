/**
 * Runs one fuzz sequence against a server and writes down what it answered, normalised so that
 * two servers of the contracts can be compared: per connection step, the frames in order and the
 * close code; per HTTP request, the status, the contract's headers and the body. Normalised away
 * is only what the contracts leave free: the text of error messages (they must be non-empty), the
 * server's clock (`now`, a pong's own `ts`) and the durations that depend on when a request
 * arrived (`retryAfterMs`, `resetMs`, the RateLimit header's `t=`: they must be positive).
 */
import { connect } from 'node:net';
import WebSocket from 'ws';
import { type FrameSpec, type HttpSpec, type Sequence, SUBJECT_NAMES } from './arbitraries.js';

export interface Target {
  /** What a difference report calls it. */
  readonly name: string;
  readonly httpUrl: string;
  readonly wsUrl: string;
}

export type Observation =
  | { readonly on: number; readonly frames: readonly unknown[]; readonly closed?: number }
  | { readonly http: { readonly status: number; readonly headers: Record<string, string>; readonly body: unknown } };

/** How long one step may wait for its answer before the answer counts as missing. */
const STEP_TIMEOUT_MS = 5_000;

const positive = (v: unknown) => (typeof v === 'number' && v > 0 ? '<positive>' : v);
const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? '<text>' : v);

/** A frame as compared. */
function normaliseFrame(raw: string): unknown {
  let frame: Record<string, unknown>;
  try {
    frame = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return { unparsable: raw };
  }
  if (frame.type === 'error') {
    return {
      ...frame,
      message: text(frame.message),
      ...('retryAfterMs' in frame ? { retryAfterMs: positive(frame.retryAfterMs) } : {}),
    };
  }
  // a ping without ts is answered with the server's clock
  if (frame.type === 'pong' && typeof frame.ts === 'number' && Math.abs(frame.ts - Date.now()) < 600_000) {
    return { ...frame, ts: '<server clock>' };
  }
  return frame;
}

function normaliseBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(normaliseBody);
  if (body === null || typeof body !== 'object') return body;
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  if ('now' in out) out.now = typeof out.now === 'number' ? '<time>' : out.now;
  // /stats: the process's own figures differ between any two servers
  for (const key of ['rssBytes', 'heapUsedBytes', 'cpuUserMicros', 'cpuSystemMicros', 'uptimeMs']) {
    if (typeof out[key] === 'number') out[key] = '<number>';
  }
  if ('retryAfterMs' in out) out.retryAfterMs = positive(out.retryAfterMs);
  if ('resetMs' in out) out.resetMs = positive(out.resetMs);
  if (typeof out.error === 'string') out.message = text(out.message);
  return out;
}

const COMPARED_HEADERS = ['content-type', 'ratelimit-policy', 'ratelimit'];

function normaliseHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of COMPARED_HEADERS) {
    const value = headers.get(name);
    if (value !== null) out[name] = name === 'ratelimit' ? value.replace(/;t=[1-9]\d*/, ';t=<positive>') : value;
  }
  return out;
}

/** The body's bytes, with this run's subject names. */
function bodyBytes(spec: HttpSpec, run: string): Buffer | undefined {
  if (spec.body === null) return undefined;
  if ('hex' in spec.body) return Buffer.from(spec.body.hex, 'hex');
  let body = spec.body.text;
  for (const name of SUBJECT_NAMES) body = body.replaceAll(`"${name}"`, `"${name.slice(1)}.${run}"`);
  return Buffer.from(body, 'utf8');
}

async function request(target: Target, spec: HttpSpec, run: string): Promise<Observation> {
  const body = bodyBytes(spec, run);
  const answer = /^[/][^#]*$/.test(spec.path)
    ? await fetch(target.httpUrl + spec.path, {
        method: spec.method,
        headers: spec.headers,
        body,
        signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
      }).then(async (res) => ({ status: res.status, headers: res.headers, text: await res.text() }))
    : await rawRequest(target, spec.method, spec.path.replace(/^ABS/, target.httpUrl), spec.headers, body);
  // OPTIONS * asks about the server in general: CONTRACT.md allows the unknown route's 404 (the
  // TypeScript profiles) or the HTTP layer's own 200 without a body (Go's net/http); either is
  // observed as the same answer, anything else as itself
  if (
    spec.method === 'OPTIONS' &&
    spec.path === '*' &&
    (answer.status === 404 || (answer.status === 200 && answer.text === ''))
  )
    return { http: { status: 0, headers: {}, body: 'OPTIONS * answered as CONTRACT.md allows' } };
  let parsed: unknown = answer.text;
  try {
    parsed = answer.text.length > 0 ? JSON.parse(answer.text) : '';
  } catch {
    // compared as text
  }
  return { http: { status: answer.status, headers: normaliseHeaders(answer.headers), body: normaliseBody(parsed) } };
}

/** An HTTP/1.1 request whose target fetch would not send as is; read up to the server's close. */
function rawRequest(
  target: Target,
  method: string,
  requestTarget: string,
  headers: Readonly<Record<string, string>>,
  body: Buffer | undefined,
): Promise<{ status: number; headers: Headers; text: string }> {
  const { hostname, port } = new URL(target.httpUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(STEP_TIMEOUT_MS, () => socket.destroy(new Error('no answer')));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = raw.slice(0, split).split('\r\n');
      const answerHeaders = new Headers();
      for (const line of lines)
        answerHeaders.append(line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim());
      resolve({ status: Number(statusLine.split(' ')[1]), headers: answerHeaders, text: raw.slice(split + 4) });
    });
    const head = [`${method} ${requestTarget} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close'];
    for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
    head.push(`Content-Length: ${body?.length ?? 0}`);
    socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body ?? Buffer.alloc(0)]));
  });
}

/** One connection of a sequence. */
class Connection {
  private readonly received: string[] = [];
  closed: number | undefined;
  private wake: (() => void) | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.received.push(data.toString());
      this.wake?.();
    });
    ws.on('error', () => {});
    ws.on('close', (code: number) => {
      this.closed = code;
      this.wake?.();
    });
  }

  static open(url: string): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const connection = new Connection(ws);
      ws.once('open', () => resolve(connection));
      ws.once('error', reject);
    });
  }

  send(spec: FrameSpec): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (spec.kind === 'text') this.ws.send(spec.text);
    else if (spec.kind === 'bytes') this.ws.send(Buffer.from(spec.hex, 'hex'), { binary: false });
    else if (spec.kind === 'binary') this.ws.send(Buffer.from(spec.hex, 'hex'), { binary: true });
    else spec.parts.forEach((part, i) => this.ws.send(part, { fin: i === spec.parts.length - 1 }));
  }

  /**
   * The frames received since the last call: up to the pong of a marker ping sent now (every
   * frame sent before it has then been answered), or up to the close.
   */
  async drain(marker: number): Promise<{ frames: unknown[]; closed?: number }> {
    const pong = `{"type":"pong","ts":${marker}}`;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(`{"type":"ping","ts":${marker}}`);
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const at = this.received.indexOf(pong);
      if (at >= 0)
        return {
          frames: this.received
            .splice(0, at + 1)
            .slice(0, -1)
            .map(normaliseFrame),
        };
      if (this.closed !== undefined)
        return { frames: this.received.splice(0).map(normaliseFrame), closed: this.closed };
      const left = deadline - Date.now();
      if (left <= 0)
        return { frames: [...this.received.splice(0).map(normaliseFrame), '<no answer to the marker ping>'] };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed !== undefined) return;
    const closed = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    this.ws.close(1000);
    await closed;
  }
}

interface Stats {
  readonly connections: number;
  readonly rooms: number;
}

/**
 * Waits (bounded) until the server holds `connections` connections and, when given, `rooms`
 * rooms: a connection the server closed has left its rooms before the next step begins.
 */
export async function settle(target: Target, connections: number, rooms?: number): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const stats = (await (await fetch(`${target.httpUrl}/stats`)).json()) as Stats;
    if (stats.connections === connections && (rooms === undefined || stats.rooms === rooms)) return;
    if (Date.now() > deadline) throw new Error(`server did not settle: ${JSON.stringify(stats)}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Runs `sequence` on `target`; resolves with what it answered, step by step, then what each
 * connection still received at the end. `run` makes the subject names unique to this run.
 */
export async function observe(target: Target, sequence: Sequence, run: string): Promise<Observation[]> {
  const connections: Connection[] = [];
  const observations: Observation[] = [];
  let marker = -1;
  try {
    for (let i = 0; i < sequence.connections; i++) connections.push(await Connection.open(target.wsUrl));
    await settle(target, connections.length);
    for (const step of sequence.steps) {
      if ('http' in step) {
        observations.push(await request(target, step.http, run));
        continue;
      }
      const connection = connections[step.on] as Connection;
      if (connection.closed !== undefined) continue;
      for (const frame of step.frames) connection.send(frame);
      const { frames, closed } = await connection.drain(marker--);
      observations.push({ on: step.on, frames, ...(closed === undefined ? {} : { closed }) });
      if (closed !== undefined) await settle(target, connections.filter((c) => c.closed === undefined).length);
    }
    for (const [on, connection] of connections.entries()) {
      if (connection.closed !== undefined) continue;
      const { frames, closed } = await connection.drain(marker--);
      if (frames.length > 0 || closed !== undefined)
        observations.push({ on, frames, ...(closed === undefined ? {} : { closed }) });
    }
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
  await settle(target, 0, 0);
  return observations;
}
