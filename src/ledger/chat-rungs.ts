/**
 * The rungs of the chat's ledger (issue 15, `npm run bench:ledger -- chat`): Nest apps between
 * Profile B and Profile A, each a real composition with one layer of A more than the rung below.
 * Bench only: the production path (src/main.ts) never reads LEDGER_RUNG.
 *
 *   chat-adapter  Nest on A's HTTP platform (HTTP_PLATFORM) with A's WebSocket adapter
 *                 (ChatWsAdapter: the contract's upgrade rules, maxPayload, no compression), whose
 *                 message binding calls one plain handler per frame: decode, count, act on the
 *                 core's rooms
 *   chat-gateway  + Nest's gateway dispatch: A's adapter routes each frame (rxjs, in order per
 *                 connection) to `@SubscribeMessage` handlers, the body as decoded
 *   chat-guard    + A's ConnectionRateLimitGuard (the per-connection bucket, charged through Nest)
 *   chat-pipe     + A's ValidationPipe on every body (class-transformer, class-validator on the DTOs)
 *   chat-module   A's ChatModule itself: its gateway adds the exception filter and the tracing
 *                 checks; with the limiter and metrics modules it needs
 *   (A itself adds telemetry, the decision API, health and its settings of the HTTP platform.)
 *
 * Below `chat-pipe` nothing is validated and below `chat-guard` nothing is charged (the ledger's
 * load is valid and under the rate limit), so these rungs are no servers to face clients with.
 */
import { type DynamicModule, Inject, type INestApplicationContext, Module, UseGuards } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { ChatModule } from '../chat/index.js';
import { ConnectionRateLimitGuard } from '../chat/connection-rate-limit.guard.js';
import { contractValidationPipe } from '../chat/contract-validation.pipe.js';
import { ChatWsAdapter } from '../chat/chat-ws.adapter.js';
import { ChatDto, JoinDto, LeaveDto, PingDto } from '../chat/dto/messages.dto.js';
import { SettingsModule } from '../common/index.js';
import type { ChatConnection } from '../core/chat/chat-connection.js';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';
import { connectionClosed } from '../core/chat/connection-closed.js';
import { FrameAccounting } from '../core/chat/frame-accounting.js';
import { RoomRegistry } from '../core/chat/room-registry.js';
import { Rooms } from '../core/chat/rooms.js';
import type { Settings } from '../core/config/settings.js';
import { MemoryLimiterStore } from '../core/limiter/memory-limiter.store.js';
import { chatConnectionPolicy, type Policy } from '../core/limiter/policy.js';
import { type ClientMessage, DEFAULT_ROOM, WS_PATH } from '../core/protocol/contract.js';
import { decodeFrame, FrameError, pongFrame } from '../core/protocol/frames.js';
import { LimiterModule } from '../limiter/index.js';
import { MetricsModule } from '../metrics/index.js';
import { StatusModule } from '../status/index.js';

export const CHAT_RUNGS = ['chat-adapter', 'chat-gateway', 'chat-guard', 'chat-pipe', 'chat-module'] as const;
export type ChatRung = (typeof CHAT_RUNGS)[number];

/** One valid message acted on, as Profile B's switch does (the rungs below chat-module). */
function act(rooms: Rooms, accounting: FrameAccounting, conn: ChatConnection, message: ClientMessage): void {
  const room = 'room' in message ? (message.room ?? DEFAULT_ROOM) : DEFAULT_ROOM;
  switch (message.type) {
    case 'join':
      rooms.join(conn, room, message.user);
      return;
    case 'chat':
      rooms.chat(conn, room, message.text, message.id, message.ts);
      return;
    case 'leave':
      rooms.leave(conn, room);
      return;
    case 'ping':
      rooms.reply(conn, pongFrame(message.ts ?? Date.now()));
      accounting.answered('pong');
      return;
    case 'pong':
      return;
  }
}

/** The registries of the chat, on a memory bucket per connection, for the rungs below chat-module. */
@Module({})
class PlainChatModule {
  static forRoot(settings: Settings): DynamicModule {
    const buckets = new MemoryLimiterStore();
    return {
      module: PlainChatModule,
      global: true,
      providers: [
        { provide: ConnectionRegistry, useFactory: () => new ConnectionRegistry(settings) },
        {
          provide: FrameAccounting,
          useFactory: () =>
            new FrameAccounting(
              {
                consume: (key, policy, cost) => buckets.decide(key, policy, cost, true),
                forget: (key) => buckets.forget(key),
              },
              chatConnectionPolicy(settings),
            ),
        },
        {
          provide: Rooms,
          useFactory: (connections: ConnectionRegistry, accounting: FrameAccounting) =>
            new RoomRegistry(connections, accounting, { maxRoomsPerConnection: settings.maxRoomsPerConnection }),
          inject: [ConnectionRegistry, FrameAccounting],
        },
      ],
      exports: [ConnectionRegistry, FrameAccounting, Rooms],
    };
  }
}

/** Connections opened and closed as A's ChatGateway does; no message handlers (chat-adapter). */
@WebSocketGateway({ path: WS_PATH })
class ConnectionsGateway implements OnGatewayConnection, OnGatewayDisconnect {
  constructor(
    protected readonly connections: ConnectionRegistry,
    @Inject(Rooms) protected readonly rooms: Rooms,
    protected readonly accounting: FrameAccounting,
  ) {}

  handleConnection(client: WebSocket): void {
    this.connections.open(client);
  }

  handleDisconnect(client: WebSocket): void {
    const conn = this.connections.get(client);
    if (conn === undefined) return;
    connectionClosed(conn, this.rooms, this.connections, this.accounting);
  }

  protected act(client: WebSocket, message: ClientMessage): void {
    act(this.rooms, this.accounting, this.connections.get(client) as ChatConnection, message);
  }
}

/**
 * chat-adapter: A's adapter, with its message binding replaced by one listener per connection
 * that handles the frame itself (what Profile B's handleFrame does, less validation and charge).
 */
class PlainHandlerWsAdapter extends ChatWsAdapter {
  constructor(
    app: INestApplicationContext,
    settings: Settings,
    private readonly rooms: Rooms,
  ) {
    super(app, settings, app.get(ConnectionRegistry), app.get(FrameAccounting));
  }

  override bindMessageHandlers(client: WebSocket): void {
    const conn = this.connections.get(client) as ChatConnection;
    client.on('message', (data: Buffer, isBinary: boolean) => {
      const decoded = isBinary ? undefined : decodeFrame(data.toString());
      if (decoded === undefined || decoded instanceof FrameError) return this.accounting.arrived('rejected');
      this.accounting.arrived(decoded.type);
      act(this.rooms, this.accounting, conn, decoded as ClientMessage);
    });
  }
}

/** chat-gateway: `@SubscribeMessage` handlers on A's adapter, the body as the adapter decoded it. */
@WebSocketGateway({ path: WS_PATH })
class DispatchGateway extends ConnectionsGateway {
  @SubscribeMessage('join')
  join(@MessageBody() body: JoinDto, @ConnectedSocket() client: WebSocket): void {
    this.act(client, body);
  }

  @SubscribeMessage('chat')
  chat(@MessageBody() body: ChatDto, @ConnectedSocket() client: WebSocket): void {
    this.act(client, body);
  }

  @SubscribeMessage('leave')
  leave(@MessageBody() body: LeaveDto, @ConnectedSocket() client: WebSocket): void {
    this.act(client, body);
  }

  @SubscribeMessage('ping')
  ping(@MessageBody() body: PingDto, @ConnectedSocket() client: WebSocket): void {
    this.act(client, body as ClientMessage);
  }

  @SubscribeMessage('pong')
  pong(@MessageBody() _body: PingDto): void {}
}

/** chat-guard: the same handlers behind A's guard (class-level, as on A's ChatGateway). */
@WebSocketGateway({ path: WS_PATH })
@UseGuards(ConnectionRateLimitGuard)
class GuardedGateway extends DispatchGateway {}

/** chat-pipe: the guarded handlers with A's ValidationPipe on every body. */
@WebSocketGateway({ path: WS_PATH })
@UseGuards(ConnectionRateLimitGuard)
class ValidatedGateway extends ConnectionsGateway {
  @SubscribeMessage('join')
  join(@MessageBody(contractValidationPipe) body: JoinDto, @ConnectedSocket() client: WebSocket): void {
    this.act(client, body);
  }

  @SubscribeMessage('chat')
  chat(@MessageBody(contractValidationPipe) body: ChatDto, @ConnectedSocket() client: WebSocket): void {
    this.act(client, body);
  }

  @SubscribeMessage('leave')
  leave(@MessageBody(contractValidationPipe) body: LeaveDto, @ConnectedSocket() client: WebSocket): void {
    this.act(client, body);
  }

  @SubscribeMessage('ping')
  ping(@MessageBody(contractValidationPipe) body: PingDto, @ConnectedSocket() client: WebSocket): void {
    this.act(client, body as ClientMessage);
  }

  @SubscribeMessage('pong')
  pong(@MessageBody(contractValidationPipe) _body: PingDto): void {}
}

const GATEWAYS = {
  'chat-adapter': ConnectionsGateway,
  'chat-gateway': DispatchGateway,
  'chat-guard': GuardedGateway,
  'chat-pipe': ValidatedGateway,
} as const;

@Module({})
export class ChatLedgerModule {
  static forRung(rung: ChatRung, settings: Settings, policies: Policy[]): DynamicModule {
    const base = [SettingsModule.forRoot(settings, policies), StatusModule];
    const imports: DynamicModule['imports'] =
      rung === 'chat-module'
        ? [...base, MetricsModule, LimiterModule.forRoot(settings, policies), ChatModule.forRoot(settings)]
        : [...base, PlainChatModule.forRoot(settings)];
    const providers = rung === 'chat-module' ? [] : [GATEWAYS[rung], ConnectionRateLimitGuard];
    return { module: ChatLedgerModule, imports, providers };
  }
}

/** The WebSocket adapter of a chat rung: A's, or (chat-adapter) A's with a plain handler per frame. */
export function chatAdapter(rung: ChatRung, app: INestApplicationContext, settings: Settings): ChatWsAdapter {
  return rung === 'chat-adapter'
    ? new PlainHandlerWsAdapter(app, settings, app.get<Rooms>(Rooms))
    : new ChatWsAdapter(app, settings, app.get(ConnectionRegistry), app.get(FrameAccounting));
}
