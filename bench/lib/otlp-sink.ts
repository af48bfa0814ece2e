/** An OTLP/HTTP endpoint that accepts every export and discards it: tracing's cost, not Jaeger's. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startOtlpSink(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => req.resume().on('end', () => res.end('{}')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
