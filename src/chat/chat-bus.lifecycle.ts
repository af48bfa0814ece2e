import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ChatBus } from '../core/bus/bus-rooms.js';
import { STORE_CONNECT_WAIT_MS } from '../core/limiter/limiter.js';

/**
 * Injection token of the Redis chat bus (`CHAT_BUS=redis`): its state for health checks and
 * metrics; `null` with the in-process rooms (`CHAT_BUS=local`).
 */
export const CHAT_BUS = Symbol('ChatBus');

/** Connects the Redis bus at start-up (waiting briefly) and leaves it at shutdown. */
@Injectable()
export class ChatBusLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(CHAT_BUS) private readonly bus: ChatBus) {}

  async onModuleInit(): Promise<void> {
    if (!(await this.bus.start(STORE_CONNECT_WAIT_MS))) {
      new Logger('ChatBus').warn({ msg: 'Redis bus not reachable yet; serving this process alone until it is' });
    }
  }

  /** Runs after the gateway closed every client, so their leaves are published first. */
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}
