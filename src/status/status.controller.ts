import { Controller, Get, Inject } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';
import { Rooms } from '../core/chat/rooms.js';
import { HEALTH_BODY, serverStats, type ServerStats } from '../core/chat/server-stats.js';

/** `GET /health` and `GET /stats` of the contract. */
@Controller()
export class StatusController {
  constructor(
    private readonly connections: ConnectionRegistry,
    @Inject(Rooms) private readonly rooms: Rooms,
  ) {}

  @Get('health')
  @SkipThrottle()
  health(): typeof HEALTH_BODY {
    return HEALTH_BODY;
  }

  @Get('stats')
  stats(): ServerStats {
    return serverStats(this.connections.size, this.rooms.size);
  }
}
