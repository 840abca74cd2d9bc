// Progress on long work: a bar with ETA on a TTY (stderr), a line every few seconds elsewhere.
export class Progress {
  private started = performance.now();
  private lastPrint = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly startAt = 0,
    /** 'seconds': done and total are seconds, shown as minutes and seconds (a time-boxed run). */
    private readonly unit: 'count' | 'seconds' = 'count',
    /** Shows the rate as "R <rateUnit>/s" (e.g. 'img'); none when absent. */
    private readonly rateUnit?: string,
  ) {}

  private amount(n: number): string {
    return this.unit === 'seconds' ? formatSeconds(n) : String(n);
  }

  update(done: number, extra = ''): void {
    const now = performance.now();
    const finished = done >= this.total;
    if (!finished && now - this.lastPrint < (this.tty ? 100 : 10_000)) return;
    this.lastPrint = now;
    const frac = this.total ? done / this.total : 1;
    const rate = (done - this.startAt) / Math.max(1e-3, (now - this.started) / 1000);
    // no rate yet (nothing done since the start): the ETA is unknown
    const eta = finished ? 0 : rate > 0 ? (this.total - done) / rate : Infinity;
    const speed = this.rateUnit && rate > 0 ? `, ${rate.toFixed(1)} ${this.rateUnit}/s` : '';
    if (this.tty) {
      const width = 24;
      const filled = Math.round(frac * width);
      const bar = '='.repeat(filled) + ' '.repeat(width - filled);
      process.stderr.write(`\r${this.label} ${this.amount(done)}/${this.amount(this.total)} [${bar}] ${(frac * 100).toFixed(0)}% ETA ${formatSeconds(eta)}${speed} ${extra}\x1b[K`);
      if (finished) process.stderr.write('\n');
    } else process.stderr.write(`${this.label} ${this.amount(done)}/${this.amount(this.total)} (${(frac * 100).toFixed(0)}%, ETA ${formatSeconds(eta)}${speed}) ${extra}\n`);
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * An onProgress(done, total) callback that shows a bar, made at the first call, when the total is known;
 * none below `from` items. rateUnit: also the rate, counted from the first call (a resumed run's earlier
 * work and the first batch's start-up do not count).
 */
export function progressCallback(label: string, from = 0, rateUnit?: string): (done: number, total: number, note?: string) => void {
  let bar: Progress | undefined;
  return (done, total, note) => {
    if (total < from) return;
    bar ??= new Progress(label, total, rateUnit ? done : 0, 'count', rateUnit);
    bar.update(done, note);
  };
}
