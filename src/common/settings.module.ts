import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Policy } from '../core/limiter/policy.js';
import type { Settings } from '../core/config/settings.js';

/** Injection token of the validated Settings (src/config/settings.ts). */
export const SETTINGS = Symbol('Settings');
/** Injection token of the validated limiter policies (src/limiter/load-policies.ts). */
export const POLICIES = Symbol('Policies');

/** The configuration read and checked before Nest starts, as providers. */
@Global()
@Module({})
export class SettingsModule {
  static forRoot(settings: Settings, policies: Policy[]): DynamicModule {
    return {
      module: SettingsModule,
      providers: [
        { provide: SETTINGS, useValue: settings },
        { provide: POLICIES, useValue: policies },
      ],
      exports: [SETTINGS, POLICIES],
    };
  }
}
