// Runs on one session, one at a time, without a queue of stale work: each slot ('image', 'samples')
// holds at most one pending job, and a new request replaces it. A job reads the page's state when it
// starts, so while a slider is dragged the image follows the latest value and the values in between are
// dropped. Slots run in the order given (the image before the row of samples).

export type Job = () => Promise<void>;

export class Coalescer<Slot extends string> {
  private readonly pending = new Map<Slot, Job>();
  private running = false;

  constructor(
    private readonly order: readonly Slot[],
    private readonly onError: (e: unknown) => void,
    private readonly onIdle: () => void = () => undefined,
  ) {}

  /** Runs `job` in `slot` once the run in progress ends, in place of any job still waiting there. */
  request(slot: Slot, job: Job): void {
    this.pending.set(slot, job);
    if (!this.running) void this.drain();
  }

  /** Nothing running and nothing waiting. */
  get idle(): boolean {
    return !this.running && this.pending.size === 0;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let slot = this.next(); slot !== undefined; slot = this.next()) {
        const job = this.pending.get(slot)!;
        this.pending.delete(slot);
        try {
          await job();
        } catch (e) {
          this.onError(e);
        }
      }
    } finally {
      this.running = false;
      this.onIdle();
    }
  }

  private next(): Slot | undefined {
    return this.order.find((s) => this.pending.has(s));
  }
}
