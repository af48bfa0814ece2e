import { Controller, Get, Header, Inject, ServiceUnavailableException } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { MetricsSource } from './metrics-source.js';

/** `GET /metrics` in the Prometheus text format: this process, or the whole start:cluster. */
@Controller()
export class MetricsController {
  constructor(@Inject(MetricsSource) private readonly source: MetricsSource) {}

  @Get('metrics')
  @SkipThrottle()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    try {
      return await this.source.metrics();
    } catch (err) {
      throw new ServiceUnavailableException((err as Error).message);
    }
  }
}
