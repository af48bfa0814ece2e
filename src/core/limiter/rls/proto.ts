/**
 * Where Envoy's rate limit service API is defined (proto/, written from Envoy's published API)
 * and how both profiles load it: Profile B hands the definition to @grpc/grpc-js, Profile A the
 * same files and options to @nestjs/microservices' gRPC transport.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GrpcObject, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

export const RLS_PROTO = 'envoy/service/ratelimit/v3/rls.proto';

/**
 * The repository's proto/ folder: the first one above this module that holds the service's file
 * (src/core/limiter/rls and dist/core/limiter/rls are four folders down, the harness's compiled
 * copy in dist-bench/src/core/limiter/rls five).
 */
function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'proto', RLS_PROTO))) return join(dir, 'proto');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no proto/${RLS_PROTO} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export const PROTO_DIR = protoDir();
export const RLS_PACKAGE = 'envoy.service.ratelimit.v3';
export const RLS_SERVICE = 'RateLimitService';

/**
 * camelCase fields, enums as their names, 64-bit integers as numbers, defaults filled in: the
 * shape RateLimitRequest and RateLimitResponse in rate-limit-service.ts describe.
 */
export const LOADER_OPTIONS: Options = {
  keepCase: false,
  enums: String,
  longs: Number,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** `host:port` for a gRPC server (an IPv6 host in brackets). */
export const grpcAddress = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/** The service's client constructor; its `service` is the definition a server adds. */
export function loadRlsService(): ServiceClientConstructor {
  let node: GrpcObject = loadPackageDefinition(loadSync(RLS_PROTO, LOADER_OPTIONS));
  for (const name of RLS_PACKAGE.split('.')) node = node[name] as GrpcObject;
  return node[RLS_SERVICE] as ServiceClientConstructor;
}
