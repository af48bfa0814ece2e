/**
 * Profile B's Envoy rate limit service: @grpc/grpc-js directly, on the core's RateLimitService
 * (the limiter's store, shared with the HTTP API). A refused request answers its gRPC status.
 */
import { type sendUnaryData, Server, ServerCredentials, type ServerUnaryCall } from '@grpc/grpc-js';
import type { LimiterStore } from '../core/limiter/limiter-store.js';
import type { Domains } from '../core/limiter/rls/descriptors.js';
import { grpcAddress, loadRlsService } from '../core/limiter/rls/proto.js';
import {
  type RateLimitRequest,
  type RateLimitResponse,
  RateLimitService,
  RlsError,
} from '../core/limiter/rls/rate-limit-service.js';

export class RlsServer {
  private readonly server = new Server();
  private readonly service: RateLimitService;

  constructor(domains: Domains, store: LimiterStore) {
    this.service = new RateLimitService(domains, store);
    this.server.addService(loadRlsService().service, {
      ShouldRateLimit: (
        call: ServerUnaryCall<RateLimitRequest, RateLimitResponse>,
        done: sendUnaryData<RateLimitResponse>,
      ) =>
        this.service.shouldRateLimit(call.request).then(
          (answer) =>
            answer instanceof RlsError ? done({ code: answer.code, details: answer.details }) : done(null, answer),
          (err: Error) => done(err),
        ),
    });
  }

  /** Listens on `host:port`; resolves with the port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(grpcAddress(host, port), ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      );
    });
  }

  /** Stops accepting; calls in progress finish. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
