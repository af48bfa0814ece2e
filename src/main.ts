/** Profile A entry point: `npm run start:prod`. */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { ChatWsAdapter } from './chat/chat-ws.adapter.js';
import { loadOrExit, loadSettings } from './config/settings.js';
import { HttpErrorFilter } from './http/http-error.filter.js';
import { loadPolicies } from './limiter/load-policies.js';
import { MAX_BODY_BYTES } from './limiter/limiter.js';
import { WS_PATH } from './protocol/contract.js';
import { exitOnSignals } from './runtime/signals.js';

const settings = loadOrExit(() => loadSettings());
const policies = loadOrExit(() => loadPolicies(settings));
const logger = new ConsoleLogger('ChatApp', { json: true });
const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(settings, policies), {
  logger,
  bodyParser: false,
});
// Any content type is read as JSON (as Profile B does); a batch of 1000 requests fits in 1 MiB.
app.useBodyParser('json', { limit: MAX_BODY_BYTES, type: () => true });
app.useGlobalFilters(new HttpErrorFilter());
// An API, not a website: no framework banner, no ETag hashing of every JSON answer.
app.disable('x-powered-by');
app.disable('etag');
app.useWebSocketAdapter(new ChatWsAdapter(app, settings));
await app.listen(settings.port, settings.host);
const address = app.getHttpServer().address() as AddressInfo;
logger.log({ msg: 'listening', host: address.address, port: address.port, path: WS_PATH });
// Nest's enableShutdownHooks() would re-raise the signal after closing (exit by signal); the
// contract asks for exit code 0, so the signals are handled here and app.close() runs the hooks.
exitOnSignals(
  async () => {
    logger.log({ msg: 'shutting down' });
    await app.close();
  },
  (err) => logger.error(err),
);
