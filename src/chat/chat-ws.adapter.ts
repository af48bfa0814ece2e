/* eslint-disable @typescript-eslint/no-explicit-any -- the overrides keep WsAdapter's own signatures */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { EMPTY, fromEvent, type Observable } from 'rxjs';
import { catchError, concatMap, filter, finalize, first, share, takeUntil, tap } from 'rxjs/operators';
import type { Settings } from '../core/config/settings.js';
import type { ClientType } from '../core/protocol/contract.js';
import { BINARY_FRAME_ERROR_MESSAGE, decodeFrame, FrameError } from '../core/protocol/frames.js';
import { refuseUpgrade, requestPath } from '../core/protocol/upgrade.js';
import { firstNestedKey, keySkippedByClassTransformer } from '../common/index.js';
import type { ConnectionRegistry } from '../core/chat/connection-registry.js';
import type { FrameAccounting } from '../core/chat/frame-accounting.js';
import { inMessageContext, startMessageSpan } from '../telemetry/index.js';
import { ChatSocket } from './chat-socket.js';

/** What `ws` hands to `message` listeners added with addEventListener (rxjs fromEvent). */
interface MessageEvent {
  readonly data: unknown;
  /** The WebSocket. */
  readonly target: object;
}

/**
 * Pseudo-event for frames that fail before their type is known (binary, bad JSON, missing or
 * unknown `type`); its data is the FrameError. No client `type` can reach it: only the contract's
 * five types are routed by name.
 */
export const REJECTED_FRAME = '$rejected';

/**
 * Text frames arrive as strings, binary frames as Buffers (ws MessageEvent). `countAs` is the
 * frame's type for the traffic counters: `rejected` only when its type is unknown, as in Profile B.
 */
function routeFrame(data: unknown): { event: string; data: unknown; countAs: ClientType | 'rejected' } {
  if (typeof data !== 'string') {
    return {
      event: REJECTED_FRAME,
      data: new FrameError('invalid_message', BINARY_FRAME_ERROR_MESSAGE),
      countAs: 'rejected',
    };
  }
  const decoded = decodeFrame(data);
  if (decoded instanceof FrameError) return { event: REJECTED_FRAME, data: decoded, countAs: 'rejected' };
  // what class-transformer would skip or recurse into: every field of the contract is a scalar
  const skipped = keySkippedByClassTransformer(decoded);
  const nested = skipped === undefined ? firstNestedKey(decoded) : undefined;
  if (skipped !== undefined || nested !== undefined) {
    const message =
      skipped !== undefined ? `property ${skipped} should not exist` : `${nested} must not be an object or array`;
    return {
      event: REJECTED_FRAME,
      data: new FrameError('invalid_message', message, decoded.id),
      countAs: decoded.type,
    };
  }
  return { event: decoded.type, data: decoded, countAs: decoded.type };
}

/**
 * `@nestjs/platform-ws` with the contract's transport rules:
 * - an upgrade goes to the gateway whose path (WS_PATH) is the request-target's path byte for
 *   byte (core requestPath: no URL parsing or normalisation, as in Profile B); any other upgrade
 *   is answered 404 and closed (core refuseUpgrade) instead of destroyed without an answer;
 * - every frame is routed to a handler (bad ones to REJECTED_FRAME) instead of being dropped,
 *   counted by type, and handled in its own span when tracing is on;
 * - `maxPayload` from the settings (a larger frame closes with 1009), no compression; an upgrade
 *   while shutting down is answered 503 (ConnectionRegistry.verifyUpgrade, as in Profile B);
 * - one connection's frames are handled one after another (concatMap; the stock adapter uses
 *   mergeMap), so a sender's messages keep their order even when a handler awaits; a close
 *   waits for the frames in hand to be answered (ChatSocket);
 * - client socket errors are not logged (they are the client's fault and `ws` closes the
 *   connection with the right code); ConnectionRegistry listens for them.
 */
export class ChatWsAdapter extends WsAdapter {
  /** The 'upgrade' listener this adapter added to each HTTP server, by port (taken off in dispose). */
  private readonly upgradeListeners = new Map<number, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();

  constructor(
    app: INestApplicationContext,
    private readonly settings: Settings,
    protected readonly connections: ConnectionRegistry,
    protected readonly accounting: FrameAccounting,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}): unknown {
    return super.create(port, {
      ...options,
      maxPayload: this.settings.maxFrameBytes,
      perMessageDeflate: false,
      verifyClient: this.connections.verifyUpgrade,
      WebSocket: ChatSocket,
    });
  }

  /**
   * WsAdapter's own, but for the 'upgrade' listener: the stock one matches the gateways' paths
   * against `new URL(req.url).pathname`, which accepts `/ws#f`, `/ws/../ws` and
   * `http://host/ws`, destroys an unmatched upgrade without any answer, and answers a Host header
   * it cannot parse with a malformed 400. This one matches the raw path and refuses with the
   * contract's 404; `ws` then does the rest (handshake checks, verifyClient's 503, maxPayload).
   */
  protected override ensureHttpServerExists(port: number, httpServer: Server = createServer()): Server | undefined {
    if (this.httpServersRegistry.has(port)) return undefined;
    this.httpServersRegistry.set(port, httpServer);
    const upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const path = requestPath(req.url);
      const wsServer = this.wsServersRegistry.get(port)?.find((server) => server.path === path);
      if (wsServer === undefined) return refuseUpgrade(socket);
      wsServer.handleUpgrade(req, socket, head, (ws: unknown) => wsServer.emit('connection', ws, req));
    };
    httpServer.on('upgrade', upgradeListener);
    this.upgradeListeners.set(port, upgradeListener);
    return httpServer;
  }

  /** Takes this adapter's 'upgrade' listeners off (the HTTP server outlives the adapter), then WsAdapter's own. */
  override async dispose(): Promise<void> {
    for (const [port, listener] of this.upgradeListeners) this.httpServersRegistry.get(port)?.off('upgrade', listener);
    this.upgradeListeners.clear();
    await super.dispose();
  }

  override bindMessageHandlers(
    client: any,
    handlers: MessageMappingProperties[],
    transform: (data: any) => Observable<any>,
  ): void {
    const handlersMap = new Map<string, MessageMappingProperties>();
    for (const handler of handlers) handlersMap.set(handler.message, handler);
    const close$ = fromEvent(client, 'close').pipe(share(), first());
    const socket = client as ChatSocket;
    // the gateway registered the connection (handleConnection runs before this)
    const conn = this.connections.get(socket);
    if (conn !== undefined) {
      socket.holdCloseWhile(() => conn.busPending > 0);
      conn.onBusSettled = () => socket.answered();
    }
    fromEvent<MessageEvent>(client, 'message')
      .pipe(
        tap(() => socket.frameStarted()),
        concatMap((event) =>
          this.bindMessageHandler(event, handlersMap, transform).pipe(
            filter((result) => result !== undefined && result !== null),
            catchError((err: unknown) => {
              this.logger.error(err);
              return EMPTY;
            }),
            finalize(() => socket.frameDone()),
          ),
        ),
        takeUntil(close$),
      )
      .subscribe((response) => {
        if (client.readyState === 1) client.send(JSON.stringify(response));
      });
  }

  /** One frame: route it (parsing it once), count it, run its handler, in a span if traced. */
  override bindMessageHandler(
    event: MessageEvent,
    handlersMap: Map<string, MessageMappingProperties>,
    transform: (data: any) => Observable<any>,
  ): Observable<any> {
    const { event: type, data, countAs } = routeFrame(event.data);
    this.accounting.arrived(countAs);
    const handler = handlersMap.get(type);
    if (handler === undefined) return EMPTY;
    const messageSpan = startMessageSpan(event.target, type, data);
    try {
      if (messageSpan === undefined) return transform(handler.callback(data, type));
      return inMessageContext(messageSpan, () => transform(handler.callback(data, type))).pipe(
        finalize(() => messageSpan.span.end()),
      );
    } catch (err) {
      // Nest's handler callbacks reject rather than throw; a synchronous throw is a bug, and must
      // not end this connection's stream of messages.
      messageSpan?.span.end();
      this.logger.error(err);
      return EMPTY;
    }
  }

  override bindErrorHandler(server: any): any {
    server.on('error', (err: Error) => this.logger.error(err));
    return server;
  }
}
