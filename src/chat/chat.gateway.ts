import { type BeforeApplicationShutdown, Inject, UseFilters, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { SETTINGS } from '../common/index.js';
import type { ChatConnection } from '../core/chat/chat-connection.js';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';
import { connectionClosed } from '../core/chat/connection-closed.js';
import { FrameAccounting } from '../core/chat/frame-accounting.js';
import { Rooms } from '../core/chat/rooms.js';
import type { Settings } from '../core/config/settings.js';
import { DEFAULT_ROOM, type ErrorCode, WS_PATH } from '../core/protocol/contract.js';
import { type FrameError, pongFrame, roomError } from '../core/protocol/frames.js';
import { annotateMessage, startConnectionSpan, tracing } from '../telemetry/index.js';
import { REJECTED_FRAME } from './chat-ws.adapter.js';
import { ConnectionRateLimitGuard } from './connection-rate-limit.guard.js';
import { contractValidationPipe } from './contract-validation.pipe.js';
import { ContractException } from './contract.exception.js';
import { ContractExceptionFilter } from './contract-exception.filter.js';
import { ChatDto, JoinDto, LeaveDto, PingDto } from './dto/messages.dto.js';

/**
 * The chat over WebSocket (docs/CONTRACT.md). Every frame passes ConnectionRateLimitGuard, then
 * its DTO's validation; refusals of any kind become error frames in ContractExceptionFilter.
 */
@WebSocketGateway({ path: WS_PATH })
@UseGuards(ConnectionRateLimitGuard)
@UseFilters(ContractExceptionFilter)
export class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown {
  constructor(
    private readonly connections: ConnectionRegistry,
    @Inject(Rooms) private readonly rooms: Rooms,
    private readonly accounting: FrameAccounting,
    private readonly httpAdapterHost: HttpAdapterHost,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  afterInit(): void {
    this.connections.startKeepalive();
  }

  /** Upgrades are refused with 503 once the shutdown close has begun (ChatWsAdapter). */
  handleConnection(client: WebSocket): void {
    this.connections.open(client);
    startConnectionSpan(client);
  }

  handleDisconnect(client: WebSocket): void {
    const conn = this.connections.get(client);
    if (conn === undefined) return;
    connectionClosed(conn, this.rooms, this.connections, this.accounting);
  }

  @SubscribeMessage('join')
  join(@MessageBody(contractValidationPipe) body: JoinDto, @ConnectedSocket() client: WebSocket): void {
    const room = body.room ?? DEFAULT_ROOM;
    this.refuseIf(this.rooms.join(this.connection(client), room, body.user), body.id);
    if (tracing.enabled) annotateMessage('chat.fanout', this.rooms.members(room));
  }

  @SubscribeMessage('chat')
  chat(@MessageBody(contractValidationPipe) body: ChatDto, @ConnectedSocket() client: WebSocket): void {
    const room = body.room ?? DEFAULT_ROOM;
    this.refuseIf(this.rooms.chat(this.connection(client), room, body.text, body.id, body.ts), body.id);
    if (tracing.enabled) annotateMessage('chat.fanout', this.rooms.members(room));
  }

  @SubscribeMessage('leave')
  leave(@MessageBody(contractValidationPipe) body: LeaveDto, @ConnectedSocket() client: WebSocket): void {
    const room = body.room ?? DEFAULT_ROOM;
    this.refuseIf(this.rooms.leave(this.connection(client), room), body.id);
    if (tracing.enabled) annotateMessage('chat.fanout', this.rooms.members(room) + 1); // and the leaver
  }

  @SubscribeMessage('ping')
  ping(@MessageBody(contractValidationPipe) body: PingDto, @ConnectedSocket() client: WebSocket): void {
    this.rooms.reply(this.connection(client), pongFrame(body.ts ?? Date.now()));
    this.accounting.answered('pong');
  }

  /** A valid pong only proves liveness, which every frame already does. */
  @SubscribeMessage('pong')
  pong(@MessageBody(contractValidationPipe) _body: PingDto): void {}

  @SubscribeMessage(REJECTED_FRAME)
  reject(@MessageBody() error: FrameError): never {
    throw new ContractException(error);
  }

  /** Stops accepting, closes every client with 1001 and waits for them (bounded by the grace). */
  async beforeApplicationShutdown(): Promise<void> {
    this.httpAdapterHost.httpAdapter.getHttpServer().close();
    await this.connections.closeAll(1001, 'server shutting down', this.settings.shutdownGraceMs);
  }

  private connection(client: WebSocket): ChatConnection {
    return this.connections.get(client) as ChatConnection;
  }

  private refuseIf(code: ErrorCode | undefined, id: string | undefined): void {
    if (code !== undefined) throw new ContractException(roomError(code, id));
  }
}
