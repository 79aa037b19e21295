/**
 * How a running attempt is stopped early (its timeout, a lost lease,
 * shutdown): a reason given once, a race of the target's work against it,
 * and the `AbortSignal` the target sees, made only when the target asks for
 * it. Most handlers never read `ctx.signal`; a burst of thousands of fires
 * should not pay for an `AbortController` and its listeners each.
 */
export class AttemptAbort {
  private controller: AbortController | undefined;
  private rejectRace: ((reason: unknown) => void) | undefined;
  private given = false;
  private givenReason: unknown;

  /** True once {@link abort} was called. */
  get aborted(): boolean {
    return this.given;
  }

  /** What {@link abort} was called with. */
  get reason(): unknown {
    return this.givenReason;
  }

  /** The signal the target gets, aborted with the same reason. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.given) this.controller.abort(this.givenReason);
    }
    return this.controller.signal;
  }

  /** Stops the attempt: the signal aborts and {@link race} rejects with `reason`. The first call wins. */
  abort(reason: unknown): void {
    if (this.given) return;
    this.given = true;
    this.givenReason = reason;
    this.controller?.abort(reason);
    this.rejectRace?.(reason);
  }

  /** Settles as `work` does, or rejects with the reason as soon as the attempt is aborted (the work may settle later; nobody waits for it). */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.given) {
      work.catch(() => undefined);
      return Promise.reject(this.givenReason as Error);
    }
    return new Promise<T>((resolve, reject) => {
      this.rejectRace = reject;
      work.then(resolve, reject);
    });
  }
}
