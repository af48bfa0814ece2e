/**
 * A rung of the limiter's ledger (src/ledger/rungs.ts), started by the harness as
 * `LEDGER_RUNG=<rung> node dist/ledger/main.js` with Profile A's settings. Bench only.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { httpAdapter } from '../app.setup.js';
import { loadOrExit, loadSettings } from '../core/config/settings.js';
import { loadPolicies } from '../core/limiter/load-policies.js';
import { exitOnSignals } from '../core/runtime/signals.js';
import { APP_LAYERS_FROM, appFilter, LedgerModule, type Rung, RUNGS } from './rungs.js';

const rung = process.env.LEDGER_RUNG as Rung;
if (!RUNGS.includes(rung)) {
  process.stderr.write(`LEDGER_RUNG must be one of ${RUNGS.join(', ')}, got ${rung}\n`);
  process.exit(2);
}
const settings = loadOrExit(() => loadSettings());
const policies = loadOrExit(() => loadPolicies(settings));
const app = await NestFactory.create<NestExpressApplication>(
  LedgerModule.forRung(rung, settings, policies),
  httpAdapter(),
  { logger: ['error', 'warn'], bodyParser: false },
);
if (RUNGS.indexOf(rung) >= RUNGS.indexOf(APP_LAYERS_FROM)) {
  app.useGlobalFilters(appFilter());
  app.disable('x-powered-by');
  app.disable('etag');
}
await app.listen(settings.port, settings.host);
exitOnSignals(
  () => app.close(),
  (err) => process.stderr.write(`ledger rung ${rung}: ${String(err)}\n`),
);
