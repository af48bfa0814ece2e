import { Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Registry } from 'prom-client';
import { registerChatBusMetrics, registerChatMetrics } from '../metrics/chat-metrics.js';
import { SETTINGS } from '../common/settings.module.js';
import type { Settings } from '../core/config/settings.js';
import { LimiterModule } from '../limiter/limiter.module.js';
import { STORE_CONNECT_WAIT_MS } from '../core/limiter/limiter.js';
import { RedisRoomRegistry } from '../core/bus/redis-room-registry.js';
import { ChatGateway } from './chat.gateway.js';
import { ConnectionRateLimiter } from './connection-rate-limiter.js';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';
import { RoomRegistry } from '../core/chat/room-registry.js';

/** Token of the chat's metrics registration (it has no value of its own). */
const CHAT_METRICS = Symbol('ChatMetrics');

/** The rooms the settings pick: this process only (`CHAT_BUS=local`), or shared through Redis. */
function configuredRooms(connections: ConnectionRegistry, settings: Settings): RoomRegistry {
  if (settings.chatBus === 'local') return new RoomRegistry(connections, settings.maxRoomsPerConnection);
  const logger = new Logger('ChatBus');
  return new RedisRoomRegistry(connections, {
    url: settings.redisUrl,
    maxRoomsPerConnection: settings.maxRoomsPerConnection,
    nodeTimeoutMs: settings.chatBusNodeTimeoutMs,
    onStateChange: (up, reason) =>
      up
        ? logger.log({ msg: 'chat bus up', reason })
        : logger.warn({ msg: 'chat bus lost; serving this process alone', reason }),
  });
}

/** Connects the Redis bus at start-up (waiting briefly) and leaves it at shutdown. */
class ChatBusLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(RoomRegistry) private readonly rooms: RoomRegistry) {}

  async onModuleInit(): Promise<void> {
    if (!(this.rooms instanceof RedisRoomRegistry)) return;
    if (!(await this.rooms.start(STORE_CONNECT_WAIT_MS))) {
      new Logger('ChatBus').warn({ msg: 'Redis bus not reachable yet; serving this process alone until it is' });
    }
  }

  /** Runs after the gateway closed every client, so their leaves are published first. */
  async onApplicationShutdown(): Promise<void> {
    if (this.rooms instanceof RedisRoomRegistry) await this.rooms.close();
  }
}

@Module({
  imports: [LimiterModule],
  providers: [
    {
      provide: ConnectionRegistry,
      useFactory: (settings: Settings) => new ConnectionRegistry(settings),
      inject: [SETTINGS],
    },
    { provide: RoomRegistry, useFactory: configuredRooms, inject: [ConnectionRegistry, SETTINGS] },
    ChatBusLifecycle,
    ConnectionRateLimiter,
    ChatGateway,
    {
      provide: CHAT_METRICS,
      useFactory: (registry: Registry, connections: ConnectionRegistry, rooms: RoomRegistry) => {
        registerChatMetrics(registry, connections, rooms);
        if (rooms instanceof RedisRoomRegistry) registerChatBusMetrics(registry, rooms);
      },
      inject: [Registry, ConnectionRegistry, RoomRegistry],
    },
  ],
  exports: [ConnectionRegistry, RoomRegistry],
})
export class ChatModule {}
