/**
 * The runner's tasks in flight (attempts, onFailure deliveries): counted, each
 * failure reported, and awaited as a whole at shutdown. One `then` a task,
 * with handlers made once: a drain of thousands of fires a second should not
 * pay a `catch`, a `finally` and a set entry for each.
 */
export class Tasks {
  private count = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly report: (err: unknown) => void) {}

  /** Tracks `task` until it settles; a rejection is reported. */
  add(task: Promise<void>): void {
    this.count++;
    task.then(this.settled, this.failed);
  }

  /** Resolves once no task is in flight (tasks added meanwhile included). */
  async idle(): Promise<void> {
    while (this.count > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private readonly settled = (): void => {
    if (--this.count > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  };

  private readonly failed = (err: unknown): void => {
    this.report(err);
    this.settled();
  };
}
