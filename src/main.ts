/** Profile A entry point: `npm run start:prod`. */
import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { ChatWsAdapter } from './chat/chat-ws.adapter.js';
import { loadSettingsOrExit } from './config/settings.js';
import { exitOnSignals } from './runtime/signals.js';

const settings = loadSettingsOrExit();
const logger = new ConsoleLogger('ChatApp', { json: true });
const app = await NestFactory.create(AppModule.forRoot(settings), { logger });
app.useWebSocketAdapter(new ChatWsAdapter(app, settings));
await app.listen(settings.port, settings.host);
const address = app.getHttpServer().address();
logger.log({ msg: 'listening', host: address.address, port: address.port, path: '/ws' });
// Nest's enableShutdownHooks() would re-raise the signal after closing (exit by signal); the
// contract asks for exit code 0, so the signals are handled here and app.close() runs the hooks.
exitOnSignals(
  async () => {
    logger.log({ msg: 'shutting down' });
    await app.close();
  },
  (err) => logger.error(err),
);
