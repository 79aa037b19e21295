import type { Clock, TimerHandle } from './clock.js';

/**
 * A pass run over and over on the engine's clock: first after the delay
 * given to {@link start}, then after the delay each pass returns, until
 * stopped. A pass that throws is reported and scheduled again after
 * `retryMs`; passes never overlap.
 */
export class Periodic {
  private handle: TimerHandle | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = true;

  constructor(
    private readonly clock: Clock,
    /** One pass; resolves with the pause before the next one. */
    private readonly pass: () => Promise<number>,
    private readonly report: (err: unknown) => void,
    private readonly retryMs: number,
  ) {}

  /** Schedules the first pass `delayMs` from now. */
  start(delayMs: number): void {
    this.stopped = false;
    this.schedule(delayMs);
  }

  /** No more passes; resolves once the one under way (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      this.running = this.pass()
        .catch((err: unknown) => {
          this.report(err);
          return this.retryMs;
        })
        .then((next) => this.schedule(next));
    }, delayMs);
  }
}
