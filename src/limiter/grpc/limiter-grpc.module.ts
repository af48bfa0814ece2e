import { type DynamicModule, Module } from '@nestjs/common';
import type { GrpcOptions } from '@nestjs/microservices';
import { Transport } from '@nestjs/microservices';
import type { Settings } from '../../core/config/settings.js';
import { LimiterStore } from '../../core/limiter/limiter-store.js';
import type { Domains } from '../../core/limiter/rls/descriptors.js';
import { grpcAddress, LOADER_OPTIONS, RLS_PACKAGE, RLS_PROTO } from '../../core/limiter/rls/proto.js';
import { RateLimitService } from '../../core/limiter/rls/rate-limit-service.js';
import { RlsController } from './rls.controller.js';

/**
 * Envoy's rate limit service over gRPC: the controller, and the core's RateLimitService on the
 * limiter's store (the one the HTTP API decides with, so one limit for both). The transport is
 * connected by the hybrid app (src/bootstrap.ts) with `grpcTransport`.
 */
@Module({})
export class LimiterGrpcModule {
  static forRoot(domains: Domains): DynamicModule {
    return {
      module: LimiterGrpcModule,
      controllers: [RlsController],
      providers: [
        {
          provide: RateLimitService,
          useFactory: (store: LimiterStore) => new RateLimitService(domains, store),
          inject: [LimiterStore],
        },
      ],
    };
  }
}

/** The gRPC transport's options: the proto files, loaded as Profile B loads them, on HOST:GRPC_PORT. */
export function grpcTransport(settings: Settings & { grpcPort: number }): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      package: RLS_PACKAGE,
      protoPath: RLS_PROTO,
      url: grpcAddress(settings.host, settings.grpcPort),
      loader: LOADER_OPTIONS,
    },
  };
}
