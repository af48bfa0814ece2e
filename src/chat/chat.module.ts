import { Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { registerChatMetrics } from '../metrics/chat-metrics.js';
import { SETTINGS } from '../config/settings.module.js';
import type { Settings } from '../config/settings.js';
import { LimiterModule } from '../limiter/limiter.module.js';
import { ChatGateway } from './chat.gateway.js';
import { ConnectionRateLimiter } from './connection-rate-limiter.js';
import { ConnectionRegistry } from './core/connection-registry.js';
import { RoomRegistry } from './core/room-registry.js';

/** Token of the chat's metrics registration (it has no value of its own). */
const CHAT_METRICS = Symbol('ChatMetrics');

@Module({
  imports: [LimiterModule],
  providers: [
    {
      provide: ConnectionRegistry,
      useFactory: (settings: Settings) => new ConnectionRegistry(settings),
      inject: [SETTINGS],
    },
    {
      provide: RoomRegistry,
      useFactory: (connections: ConnectionRegistry, settings: Settings) =>
        new RoomRegistry(connections, settings.maxRoomsPerConnection),
      inject: [ConnectionRegistry, SETTINGS],
    },
    ConnectionRateLimiter,
    ChatGateway,
    {
      provide: CHAT_METRICS,
      useFactory: (registry: Registry, connections: ConnectionRegistry, rooms: RoomRegistry) =>
        registerChatMetrics(registry, connections, rooms),
      inject: [Registry, ConnectionRegistry, RoomRegistry],
    },
  ],
  exports: [ConnectionRegistry, RoomRegistry],
})
export class ChatModule {}
