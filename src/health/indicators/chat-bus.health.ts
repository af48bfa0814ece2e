import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CHAT_BUS } from '../../chat/index.js';
import type { ChatBus } from '../../core/bus/bus-rooms.js';

/**
 * Do room events reach every process? `up` with the in-process rooms (CHAT_BUS=local) or while
 * the Redis bus carries them; `degraded` while this process has lost Redis and serves its own
 * members alone (they neither see nor reach members on other processes).
 */
@Injectable()
export class ChatBusHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(CHAT_BUS) private readonly bus: ChatBus | null,
  ) {}

  isHealthy<const Key extends string>(key: Key) {
    const session = this.health.check(key);
    if (this.bus === null) return session.up({ bus: 'local' });
    if (this.bus.isUp) return session.up({ bus: 'redis', node: this.bus.nodeId });
    return session.degraded({
      bus: 'local',
      node: this.bus.nodeId,
      message: "Redis bus lost; serving this process's members alone",
    });
  }
}
