/** The client constructor of Envoy's rate limit service, for the harness's gRPC load (loaded once). */
import type { ServiceClientConstructor } from '@grpc/grpc-js';
import { loadRlsService } from '../../src/core/index.js';

let loaded: ServiceClientConstructor | undefined;

export function rlsClientConstructor(): ServiceClientConstructor {
  loaded ??= loadRlsService();
  return loaded;
}
