/**
 * Profile A's entry point (`npm run start:prod`, `node dist/main.js`): telemetry first, since it
 * must patch http and ioredis before anything loads them (the preload does nothing at all when no
 * OTLP endpoint is set), then the app. Nothing is imported statically here.
 */
await import('./telemetry/preload.js');
await import('./bootstrap.js');
