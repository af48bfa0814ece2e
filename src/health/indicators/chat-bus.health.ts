import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisRoomRegistry } from '../../core/bus/redis-room-registry.js';
import { RoomRegistry } from '../../core/chat/room-registry.js';

/**
 * Do room events reach every process? `up` with the in-process rooms (CHAT_BUS=local) or while
 * the Redis bus carries them; `degraded` while this process has lost Redis and serves its own
 * members alone (they neither see nor reach members on other processes).
 */
@Injectable()
export class ChatBusHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(RoomRegistry) private readonly rooms: RoomRegistry,
  ) {}

  isHealthy<const Key extends string>(key: Key) {
    const session = this.health.check(key);
    if (!(this.rooms instanceof RedisRoomRegistry)) return session.up({ bus: 'local' });
    if (this.rooms.isUp) return session.up({ bus: 'redis', node: this.rooms.nodeId });
    return session.degraded({ bus: 'local', node: this.rooms.nodeId, message: 'Redis bus lost; serving this process\'s members alone' });
  }
}
