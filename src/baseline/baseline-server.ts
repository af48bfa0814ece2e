/**
 * Profile B: the contract on `node:http` + `ws`, no framework. Shares the pure protocol, room
 * and limiter code with Profile A; validation and dispatch are written by hand.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Settings } from '../core/config/settings.js';
import type { ChatConnection } from '../core/chat/chat-connection.js';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';
import { type ArrivedType, FrameAccounting } from '../core/chat/frame-accounting.js';
import { connectionClosed } from '../core/chat/connection-closed.js';
import { RoomRegistry } from '../core/chat/room-registry.js';
import { HEALTH_BODY, serverStats } from '../core/chat/server-stats.js';
import { createLimiterStore, type LimiterStoreHooks } from '../core/limiter/create-store.js';
import { checkDecisionBody } from './decision-request.js';
import { batchPath } from '../core/limiter/request-rules.js';
import { Limiter, RequestError, rateLimitHeaders } from '../core/limiter/limiter.js';
import { ABORTED, readJsonBody } from '../core/limiter/request-body.js';
import { MemoryLimiterStore } from '../core/limiter/memory-limiter.store.js';
import { chatConnectionPolicy, type Policy } from '../core/limiter/policy.js';
import { type ClientMessage, DEFAULT_ROOM } from '../core/protocol/contract.js';
import {
  BINARY_FRAME_ERROR_MESSAGE,
  decodeFrame,
  errorFrame,
  FrameError,
  pongFrame,
  roomError,
} from '../core/protocol/frames.js';
import { isChatPath, refuseUpgrade, routePath } from '../core/protocol/upgrade.js';
import { validateMessage } from './validate.js';
import { METRICS_CONTENT_TYPE, renderMetrics, RoundTripHistogram } from './baseline-metrics.js';

export class BaselineServer {
  readonly http: Server;
  readonly connections: ConnectionRegistry;
  readonly rooms: RoomRegistry;
  private readonly wss: WebSocketServer;
  /** The decision API's limiter, on the configured store. */
  readonly limiter: Limiter;
  /** What each frame costs and the traffic counters (/metrics). */
  readonly accounting: FrameAccounting;
  /** Each Redis decision's round trip (/metrics). */
  private readonly redisRoundTrips = new RoundTripHistogram();
  /** The chat's per-connection buckets: process-local, always in memory. */
  private readonly connectionBuckets = new MemoryLimiterStore();

  constructor(
    private readonly settings: Settings,
    policies: Policy[],
    storeHooks: LimiterStoreHooks = {},
  ) {
    const onRedisLatency = (seconds: number) => {
      this.redisRoundTrips.observe(seconds);
      storeHooks.onRedisLatency?.(seconds);
    };
    this.limiter = new Limiter(policies, createLimiterStore(settings, { ...storeHooks, onRedisLatency }));
    this.connections = new ConnectionRegistry(settings);
    this.accounting = new FrameAccounting(
      {
        consume: (key, policy, cost) => this.connectionBuckets.decide(key, policy, cost, true),
        forget: (key) => this.connectionBuckets.forget(key),
      },
      chatConnectionPolicy(settings),
    );
    this.rooms = new RoomRegistry(this.connections, this.accounting, {
      maxRoomsPerConnection: settings.maxRoomsPerConnection,
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: settings.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      verifyClient: this.connections.verifyUpgrade, // 503 while shutting down
    });
    this.http = createServer((req, res) => this.handleHttp(req, res));
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleUpgrade(req, socket, head),
    );
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.settings.port, this.settings.host, () => {
        this.http.off('error', reject);
        this.connections.startKeepalive();
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting, closes every client with 1001, waits for them up to the grace period. */
  async shutdown(): Promise<void> {
    const httpClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    await this.connections.closeAll(1001, 'server shutting down', this.settings.shutdownGraceMs);
    this.connectionBuckets.close();
    await this.limiter.store.close();
    this.http.closeAllConnections();
    await httpClosed;
  }

  /** Routes as Profile A's Express app does: an unknown path or method is a 404. */
  private handleHttp(req: IncomingMessage, res: ServerResponse): void {
    const path = routePath(req.url);
    const route = `${req.method} ${path}`;
    if (route === 'POST /v1/check' || route === 'POST /v1/check_and_consume') {
      // only a bug gets here: an upload the client aborts is answered and logged nothing (readBody)
      this.handleDecision(req, res, path === '/v1/check_and_consume').catch((err: unknown) => {
        process.stderr.write(`decision failed: ${String(err)}\n`);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', message: 'internal server error' });
      });
    } else if (route === 'GET /health' || route === 'HEAD /health') {
      sendJson(res, 200, HEALTH_BODY);
    } else if (route === 'GET /stats' || route === 'HEAD /stats') {
      sendJson(res, 200, serverStats(this.connections.size, this.rooms.size));
    } else if (route === 'GET /metrics') {
      const text = renderMetrics(this.connections, this.rooms, this.accounting.counters, this.redisRoundTrips);
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    } else {
      sendJson(res, 404, { error: 'not_found', message: `Cannot ${route}` });
    }
  }

  /** POST /v1/check and /v1/check_and_consume: read, check by hand, decide, answer. */
  private async handleDecision(req: IncomingMessage, res: ServerResponse, consume: boolean): Promise<void> {
    const parsed = await readJsonBody(req);
    if (parsed === ABORTED) return; // the client is gone: nothing to answer, nothing went wrong
    if (parsed instanceof RequestError) {
      if (parsed.status === 413) res.setHeader('connection', 'close'); // the rest of the body is not read
      return sendJson(res, parsed.status, parsed.body);
    }
    const body = checkDecisionBody(parsed);
    if (body instanceof RequestError) return sendJson(res, body.status, body.body);
    const result = Array.isArray(body)
      ? await this.limiter.decideAll(body, consume, batchPath)
      : await this.limiter.decideOne(body, consume);
    if (result instanceof RequestError) return sendJson(res, result.status, result.body);
    if (!Array.isArray(result)) {
      const headers = rateLimitHeaders(this.limiter.policy(result.policy) as Policy, result);
      for (const [name, value] of headers) res.setHeader(name, value);
    }
    sendJson(res, 200, result);
  }

  /**
   * As Profile A's ChatWsAdapter: any path but exactly /ws is answered 404 (core isChatPath and
   * refuseUpgrade), before `ws` checks the handshake (400, 405) and verifyClient (503).
   */
  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!isChatPath(req.url)) return refuseUpgrade(socket);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.handleConnection(ws));
  }

  private handleConnection(ws: WebSocket): void {
    const conn = this.connections.open(ws);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.handleFrame(conn, data, isBinary));
    ws.once('close', () => {
      connectionClosed(conn, this.rooms, this.connections, this.accounting);
    });
  }

  /** One frame: decode and validate by hand, charge and count it (FrameAccounting), act. */
  private handleFrame(conn: ChatConnection, data: Buffer, isBinary: boolean): void {
    let type: ArrivedType;
    let message: ClientMessage | FrameError;
    if (isBinary) {
      type = 'rejected';
      message = new FrameError('invalid_message', BINARY_FRAME_ERROR_MESSAGE);
    } else {
      const decoded = decodeFrame(data.toString());
      type = decoded instanceof FrameError ? 'rejected' : decoded.type;
      message = decoded instanceof FrameError ? decoded : validateMessage(decoded);
    }
    this.accounting.arrived(type);
    const limited = this.accounting.chargeOnArrival(
      conn,
      type,
      message instanceof FrameError ? message.ref : message.id,
    );
    if (limited !== undefined) return this.sendError(conn, type, limited);
    if (message instanceof FrameError) return this.sendError(conn, type, message);

    let refused;
    switch (message.type) {
      case 'ping':
        this.accounting.answered('pong');
        this.connections.send(conn, pongFrame(message.ts ?? Date.now()));
        return;
      case 'pong':
        return; // liveness only, which every frame already proves
      case 'join':
        refused = this.rooms.join(conn, message.room ?? DEFAULT_ROOM, message.user);
        break;
      case 'chat':
        refused = this.rooms.chat(conn, message.room ?? DEFAULT_ROOM, message.text, message.id, message.ts);
        break;
      case 'leave':
        refused = this.rooms.leave(conn, message.room ?? DEFAULT_ROOM);
        break;
    }
    if (refused !== undefined) this.sendError(conn, type, roomError(refused, message.id));
  }

  private sendError(conn: ChatConnection, type: ArrivedType, error: FrameError): void {
    this.connections.send(conn, errorFrame(this.accounting.refused(conn, type, error)));
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}
