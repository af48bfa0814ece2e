import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import {
  type RateLimitRequest,
  type RateLimitResponse,
  RateLimitService,
  RlsError,
} from '../../core/limiter/rls/rate-limit-service.js';

/**
 * Envoy's rate limit service (docs/LIMITER.md, "Envoy's rate limit service") on the gRPC
 * transport of the hybrid app (src/bootstrap.ts). The proto decoder has typed every field; what
 * is left to check depends on the domains, and the core's RateLimitService checks it for both
 * profiles. A refused request is an RpcException with its gRPC status and message, which Nest's
 * RPC exception handler hands to gRPC.
 */
@Controller()
export class RlsController {
  constructor(private readonly service: RateLimitService) {}

  @GrpcMethod('RateLimitService', 'ShouldRateLimit')
  async shouldRateLimit(request: RateLimitRequest): Promise<RateLimitResponse> {
    const answer = await this.service.shouldRateLimit(request);
    if (answer instanceof RlsError) throw new RpcException({ code: answer.code, message: answer.details });
    return answer;
  }
}
