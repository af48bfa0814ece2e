/**
 * A real gRPC client of Envoy's rate limit service (`ShouldRateLimit`), on the proto files both
 * profiles serve: an answer is the decoded response, or the gRPC status and details of a refusal.
 */
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { loadRlsService, type RateLimitRequest, type RateLimitResponse } from '../../src/core/index.js';

export type RlsAnswer = { ok: RateLimitResponse } | { code: number; details: string };

export class RlsClient {
  private readonly client;

  constructor(address: string) {
    const Client = loadRlsService();
    this.client = new Client(address, credentials.createInsecure());
  }

  /** One call; `request` as the proto-loader's objects (missing fields are their defaults). */
  call(request: Partial<RateLimitRequest> | Record<string, unknown>): Promise<RlsAnswer> {
    return new Promise((resolve) => {
      this.client.ShouldRateLimit(
        request,
        { deadline: Date.now() + 10_000 },
        (err: ServiceError | null, ok: RateLimitResponse) =>
          resolve(err ? { code: err.code, details: err.details } : { ok }),
      );
    });
  }

  /** The response of a call that must succeed. */
  async decide(request: Partial<RateLimitRequest> | Record<string, unknown>): Promise<RateLimitResponse> {
    const answer = await this.call(request);
    if (!('ok' in answer)) throw new Error(`ShouldRateLimit refused: ${answer.code} ${answer.details}`);
    return answer.ok;
  }

  close(): void {
    this.client.close();
  }
}

/** A descriptor of `entries` given as [key, value] pairs. */
export const descriptor = (...entries: [string, string][]) => ({
  entries: entries.map(([key, value]) => ({ key, value })),
});

/** Each descriptor's decision time and store, from the response's dynamic metadata. */
export function decisionsOf(response: RateLimitResponse): ({ now: number; store: string } | undefined)[] {
  const list = response.dynamicMetadata.fields.decisions as {
    listValue: { values: { structValue: { fields: any } }[] };
  };
  return list.listValue.values.map(({ structValue: { fields } }) =>
    fields.now === undefined ? undefined : { now: fields.now.numberValue, store: fields.store.stringValue },
  );
}

/** Sends `bytes` as the request message of ShouldRateLimit, whatever they hold: its gRPC status and details. */
export function sendRawRequest(address: string, bytes: Buffer): Promise<{ code: number; details: string }> {
  const client = new Client(address, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit',
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      { deadline: Date.now() + 10_000 },
      (err) => {
        client.close();
        resolve({ code: err?.code ?? 0, details: err?.details ?? '' });
      },
    );
  });
}
