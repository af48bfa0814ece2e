/**
 * A rung of a ledger (src/ledger/limiter-rungs.ts, src/ledger/chat-rungs.ts), started by the
 * harness as `LEDGER_RUNG=<rung> node dist/ledger/main.js` with Profile A's settings. Bench only.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { configureHttp, httpAdapter } from '../app.setup.js';
import { loadOrExit, loadSettings } from '../core/config/settings.js';
import { loadPolicies } from '../core/limiter/load-policies.js';
import { exitOnSignals } from '../core/runtime/signals.js';
import { chatAdapter, ChatLedgerModule, type ChatRung, CHAT_RUNGS } from './chat-rungs.js';
import { APP_LAYERS_FROM, LedgerModule, type LimiterRung, LIMITER_RUNGS } from './limiter-rungs.js';

const rung = process.env.LEDGER_RUNG ?? '';
const isChat = (CHAT_RUNGS as readonly string[]).includes(rung);
if (!isChat && !(LIMITER_RUNGS as readonly string[]).includes(rung)) {
  process.stderr.write(`LEDGER_RUNG must be one of ${[...LIMITER_RUNGS, ...CHAT_RUNGS].join(', ')}, got ${rung}\n`);
  process.exit(2);
}
const settings = loadOrExit(() => loadSettings());
const policies = loadOrExit(() => loadPolicies(settings));
const app = await NestFactory.create(
  isChat
    ? ChatLedgerModule.forRung(rung as ChatRung, settings, policies)
    : LedgerModule.forRung(rung as LimiterRung, settings, policies),
  await httpAdapter(settings),
  { logger: ['error', 'warn'], bodyParser: false },
);
if (isChat) {
  app.useWebSocketAdapter(chatAdapter(rung as ChatRung, app, settings));
} else if (LIMITER_RUNGS.indexOf(rung as LimiterRung) >= LIMITER_RUNGS.indexOf(APP_LAYERS_FROM)) {
  await configureHttp(app, settings); // A's exception filter and platform settings
}
await app.listen(settings.port, settings.host);
exitOnSignals(
  () => app.close(),
  (err) => process.stderr.write(`ledger rung ${rung}: ${String(err)}\n`),
);
