import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import { Registry } from 'prom-client';
import { BusRooms } from '../core/bus/bus-rooms.js';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';
import { FrameAccounting } from '../core/chat/frame-accounting.js';
import { RoomRegistry } from '../core/chat/room-registry.js';
import { Rooms } from '../core/chat/rooms.js';
import type { Settings } from '../core/config/settings.js';
import { chatConnectionPolicy } from '../core/limiter/policy.js';
import { LimiterService } from '../limiter/index.js';
import { registerChatBusMetrics, registerChatMetrics } from '../metrics/index.js';
import { CHAT_BUS, ChatBusLifecycle } from './chat-bus.lifecycle.js';
import { ChatGateway } from './chat.gateway.js';

/** Tokens of the metrics registrations (they have no value of their own). */
const CHAT_METRICS = Symbol('ChatMetrics');
const CHAT_BUS_METRICS = Symbol('ChatBusMetrics');

/** The rooms on the Redis bus, logging when the bus is lost and regained. */
function busRooms(settings: Settings, connections: ConnectionRegistry, accounting: FrameAccounting): BusRooms {
  const logger = new Logger('ChatBus');
  return new BusRooms(connections, accounting, {
    url: settings.redisUrl,
    clusterNodes: settings.redisClusterNodes,
    maxRoomsPerConnection: settings.maxRoomsPerConnection,
    nodeTimeoutMs: settings.chatBusNodeTimeoutMs,
    onStateChange: (up, reason) =>
      up
        ? logger.log({ msg: 'chat bus up', reason })
        : logger.warn({ msg: 'chat bus lost; serving this process alone', reason }),
  });
}

/**
 * The chat over WebSocket (Profile A). `forRoot` picks the rooms the settings ask for: this
 * process only (`CHAT_BUS=local`), or shared through Redis (`CHAT_BUS=redis`: BusRooms, connected
 * at start-up and left at shutdown by ChatBusLifecycle, with its metrics). Global: health, status
 * and the app's set-up use its registries.
 */
@Module({})
export class ChatModule {
  static forRoot(settings: Settings): DynamicModule {
    const onBus = settings.chatBus === 'redis';
    const providers: Provider[] = [
      { provide: ConnectionRegistry, useFactory: () => new ConnectionRegistry(settings) },
      {
        provide: FrameAccounting,
        useFactory: (limiter: LimiterService) =>
          new FrameAccounting(
            {
              consume: (key, policy, cost) => limiter.consumeLocal(key, policy, cost),
              forget: (key) => limiter.forgetLocal(key),
            },
            chatConnectionPolicy(settings),
          ),
        inject: [LimiterService],
      },
      onBus
        ? {
            provide: Rooms,
            useFactory: (connections: ConnectionRegistry, accounting: FrameAccounting) =>
              busRooms(settings, connections, accounting),
            inject: [ConnectionRegistry, FrameAccounting],
          }
        : {
            provide: Rooms,
            useFactory: (connections: ConnectionRegistry, accounting: FrameAccounting) =>
              new RoomRegistry(connections, accounting, { maxRoomsPerConnection: settings.maxRoomsPerConnection }),
            inject: [ConnectionRegistry, FrameAccounting],
          },
      onBus ? { provide: CHAT_BUS, useExisting: Rooms } : { provide: CHAT_BUS, useValue: null },
      ChatGateway,
      {
        provide: CHAT_METRICS,
        useFactory: (registry: Registry, connections: ConnectionRegistry, rooms: Rooms, accounting: FrameAccounting) =>
          registerChatMetrics(registry, connections, rooms, accounting.counters),
        inject: [Registry, ConnectionRegistry, Rooms, FrameAccounting],
      },
    ];
    if (onBus) {
      providers.push(ChatBusLifecycle, {
        provide: CHAT_BUS_METRICS,
        useFactory: (registry: Registry, bus: BusRooms) => registerChatBusMetrics(registry, bus),
        inject: [Registry, CHAT_BUS],
      });
    }
    return {
      module: ChatModule,
      global: true,
      providers,
      exports: [ConnectionRegistry, FrameAccounting, Rooms, CHAT_BUS],
    };
  }
}
