import { Module } from '@nestjs/common';
import { SETTINGS } from '../config/settings.module.js';
import type { Settings } from '../config/settings.js';
import { LimiterModule } from '../limiter/limiter.module.js';
import { ChatGateway } from './chat.gateway.js';
import { ConnectionRateLimiter } from './connection-rate-limiter.js';
import { ConnectionRegistry } from './core/connection-registry.js';
import { RoomRegistry } from './core/room-registry.js';

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
  ],
  exports: [ConnectionRegistry, RoomRegistry],
})
export class ChatModule {}
