/** The progress line: phase, elapsed time, connections and live throughput, once a second. */
export class Progress {
  phase = 'start';
  connections = 0;
  /** Monotonic count of the unit being measured (deliveries, checks). */
  count = 0;
  private readonly started = performance.now();
  private lastCount = 0;
  private lastAt = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly unit: string,
    private readonly quiet = false,
  ) {}

  start(): void {
    if (this.quiet) return;
    this.timer = setInterval(() => this.print(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (!this.quiet && process.stderr.isTTY) process.stderr.write('\n');
  }

  private print(): void {
    const now = performance.now();
    const rate = ((this.count - this.lastCount) * 1000) / (now - this.lastAt);
    this.lastCount = this.count;
    this.lastAt = now;
    const line = `[${this.phase}] ${((now - this.started) / 1000).toFixed(1)}s  connections=${this.connections}  ${this.unit}/s=${Math.round(rate)}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(79)}`);
    else process.stderr.write(`${line}\n`);
  }
}
