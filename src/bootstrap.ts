/** Profile A: the Nest app, started by src/main.ts once telemetry is in place. */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { grpcTransport } from './limiter/index.js';
import { configureApp, httpAdapter } from './app.setup.js';
import { loadOrExit, loadSettings } from './core/config/settings.js';
import { loadLimiterConfig } from './core/limiter/load-policies.js';
import { WS_PATH } from './core/protocol/contract.js';
import { exitOnSignals } from './core/runtime/signals.js';
import { PinoLogger } from './telemetry/pino-logger.js';
import { tracing } from './telemetry/tracer.js';

const settings = loadOrExit(() => loadSettings());
const { policies, domains } = loadOrExit(() => loadLimiterConfig(settings));
const logger = new PinoLogger(settings.logLevel, process.env.OTEL_SERVICE_NAME ?? 'chat-profile-a');
const app = await NestFactory.create(AppModule.forRoot(settings, policies, domains), await httpAdapter(settings), {
  logger,
  bodyParser: false,
});
await configureApp(app, settings);
// a hybrid app: Envoy's rate limit service on its own port, up before /healthz is
const grpcPort = settings.grpcPort;
if (grpcPort !== undefined) {
  app.connectMicroservice(grpcTransport({ ...settings, grpcPort }));
  await app.startAllMicroservices();
  logger.log(
    {
      msg: 'grpc listening',
      host: settings.host,
      port: grpcPort,
      service: 'envoy.service.ratelimit.v3.RateLimitService',
    },
    'ChatApp',
  );
}
await app.listen(settings.port, settings.host);
const address = app.getHttpServer().address() as AddressInfo;
logger.log(
  {
    msg: 'listening',
    host: address.address,
    port: address.port,
    path: WS_PATH,
    http: app.getHttpAdapter().getType(),
    tracing: tracing.enabled,
  },
  'ChatApp',
);
// Nest's enableShutdownHooks() would re-raise the signal after closing (exit by signal); the
// contract asks for exit code 0, so the signals are handled here and app.close() runs the hooks.
exitOnSignals(
  async () => {
    logger.log({ msg: 'shutting down' }, 'ChatApp');
    await app.close();
  },
  (err) => logger.error(err, 'ChatApp'),
);
