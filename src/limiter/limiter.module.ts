import { type DynamicModule, Module } from '@nestjs/common';
import { LimiterStore } from './limiter-store.js';
import { LimiterService } from './limiter.service.js';
import { MemoryLimiterStore } from './memory-limiter.store.js';

export interface LimiterModuleOptions {
  /** Where limiter state lives. Only `memory` exists so far; a Redis store is planned. */
  store: 'memory';
}

export const LIMITER_OPTIONS = Symbol('LimiterModuleOptions');

/** Picks the configured store for the LimiterStore token. */
export function createLimiterStore(options: LimiterModuleOptions): LimiterStore {
  switch (options.store) {
    case 'memory':
      return new MemoryLimiterStore();
  }
}

@Module({})
export class LimiterModule {
  static forRoot(options: LimiterModuleOptions = { store: 'memory' }): DynamicModule {
    return {
      module: LimiterModule,
      providers: [
        { provide: LIMITER_OPTIONS, useValue: options },
        { provide: LimiterStore, useFactory: createLimiterStore, inject: [LIMITER_OPTIONS] },
        LimiterService,
      ],
      exports: [LimiterService],
    };
  }
}
