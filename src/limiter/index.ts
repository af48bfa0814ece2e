/** Profile A's rate limiter, as the other feature folders, the app module and the ledger's rungs (src/ledger) use it. */
export { grpcTransport, LimiterGrpcModule } from './grpc/limiter-grpc.module.js';
export { DecisionBodyPipe } from './http/decision-body.pipe.js';
export { LimiterController } from './http/limiter.controller.js';
export { LimiterHttpModule } from './http/limiter-http.module.js';
export { LimiterModule } from './limiter.module.js';
export { LimiterService } from './limiter.service.js';
