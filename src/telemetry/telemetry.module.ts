import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { tracing } from './tracer.js';

/** Flushes the spans still buffered when the app shuts down (after clients were closed). */
@Injectable()
export class TracingShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await tracing.shutdown();
  }
}

@Module({ providers: [TracingShutdown] })
export class TelemetryModule {}
