// The ledger of a sampling run, OUT/samples.ledger.jsonl: a header line (what the run makes), then one
// line per finished job, appended (and fsynced, a group of them at a time) once the job's image is
// durably in place. A job is one image
// of one layout, identified by (layout, k): k is the sample's index, or 'grid' / 'strip' for a layout's
// composite image. Jobs are idempotent (the same inputs give the same bytes, written atomically), so a
// job run twice, by a resumed run or by a second worker, is harmless: the ledger keeps the first line.
// At the end the ledger is merged into samples.jsonl in (layout, k) order and removed, so a run killed
// and resumed ends with the same files as one that never stopped (docs/formats.md, "Sample ledger").
import fs from 'node:fs';
import path from 'node:path';
import { stateError } from '../common/errors.js';
import { AppendFile, syncDir, writeFileAtomic } from '../common/files.js';
import { killPoint } from '../common/kill-points.js';
import { compareResumeOptions, describeOptionChanges, ResumeRule } from '../common/resume-options.js';

export type JobIndex = number | 'grid' | 'strip';

export interface LedgerEntry {
  /** The layout's position in the run's input order. */
  layout: number;
  stem: string;
  k: JobIndex;
  /** The image file, relative to the output folder. */
  file: string;
  /** The job's samples.jsonl record (sample jobs only). */
  sample?: Record<string, unknown>;
}

interface Header {
  ledger: 1;
  /** What the images depend on (runtime/sampler.ts); a resume must make the same. */
  run: Record<string, unknown>;
  /** The command's options, for the command line to compare on resume. */
  options: Record<string, unknown>;
}

/** Options that sample --resume lets change: how it runs, not what it makes (the images stay the same bytes only with both unchanged). */
export const sampleResumeRules: Readonly<Record<string, ResumeRule>> = { threads: 'any', ep: 'any' };

/** The line for sample --help. */
export const sampleResumeHelp =
  "--resume continues the sampling in DIR from its ledger, with the options it was started with; given again they must match, except --threads and --ep (the images equal an uninterrupted run's only with them unchanged)";

export const ledgerFile = (out: string) => path.join(out, 'samples.ledger.jsonl');
export const samplesFile = (out: string) => path.join(out, 'samples.jsonl');

const key = (layout: number, k: JobIndex) => `${layout}:${k}`;

/** The ledger's header and its whole lines (a kill mid-append leaves a partial last line, dropped), and the length they span. */
function readLedger(file: string): { header: Header; entries: LedgerEntry[]; length: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  // the text after the last newline is a line that was being appended
  lines.pop();
  const parsed: unknown[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      parsed.push(JSON.parse(line));
    } catch {
      throw stateError(`the sample ledger '${file}' is damaged: line ${i + 1} is not JSON`);
    }
  }
  const header = parsed.shift() as Header | undefined;
  if (!header) return undefined; // killed before its header was complete: nothing recorded yet
  if (header.ledger !== 1) throw stateError(`'${file}' is not a sample ledger (or one of a later version)`);
  return { header, entries: parsed as LedgerEntry[], length: Buffer.byteLength(lines.map((l) => l + '\n').join('')) };
}

/** The command options a sampling run in out was started with (for sample --resume); undefined without a ledger. */
export function savedSampleOptions(out: string): Record<string, unknown> | undefined {
  return readLedger(ledgerFile(out))?.header.options;
}

export class SampleLedger {
  private readonly done = new Map<string, LedgerEntry>();
  private readonly stems = new Map<number, string>();

  private constructor(
    readonly out: string,
    private readonly log: AppendFile,
    entries: LedgerEntry[],
  ) {
    for (const e of entries) this.remember(e);
  }

  /**
   * The ledger of a run that makes `run` (what its images depend on): a new one, or on resume the one in
   * out (an error when it was made with other settings, or when the run is finished).
   */
  static open(out: string, run: Record<string, unknown>, options: Record<string, unknown>, resume: boolean): SampleLedger {
    const file = ledgerFile(out);
    const saved = resume ? readLedger(file) : undefined;
    if (resume && !saved && fs.existsSync(samplesFile(out))) throw stateError(`the sampling in '${out}' is finished: '${samplesFile(out)}' is written`);
    if (saved) {
      const { refused } = compareResumeOptions(saved.header.run, run, {});
      const missing = Object.keys(saved.header.run).filter((k) => !(k in run));
      if (refused.length || missing.length)
        throw stateError(`--resume: the sampling in '${out}' was made with other settings: ${describeOptionChanges(refused, '')}${missing.length ? ` (and ${missing.join(', ')})` : ''}`);
      // a partial last line goes before anything is appended after it
      fs.truncateSync(file, saved.length);
      return new SampleLedger(out, AppendFile.open(file, false), saved.entries);
    }
    const log = AppendFile.open(file, true);
    log.append(JSON.stringify({ ledger: 1, run, options } satisfies Header) + '\n');
    log.sync();
    return new SampleLedger(out, log, []);
  }

  private remember(e: LedgerEntry): void {
    if (!this.done.has(key(e.layout, e.k))) this.done.set(key(e.layout, e.k), e);
    this.stems.set(e.layout, e.stem);
  }

  has(layout: number, k: JobIndex): boolean {
    return this.done.has(key(layout, k));
  }

  /** Fails when the layout at this position is not the one the ledger recorded there (the inputs changed since). */
  checkLayout(layout: number, stem: string): void {
    const was = this.stems.get(layout);
    if (was !== undefined && was !== stem) throw stateError(`--resume: layout ${layout + 1} of the sampling in '${this.out}' was '${was}' and is now '${stem}': the layouts changed since it started`);
  }

  /** Records finished jobs, durably (one fsync for all): call once their images are durably in place. */
  record(entries: LedgerEntry[]): void {
    this.log.append(entries.map((e) => JSON.stringify(e) + '\n').join(''));
    this.log.sync();
    for (const e of entries) this.remember(e);
  }

  /** Writes samples.jsonl from the ledger, in (layout, k) order, and removes the ledger. */
  finish(): void {
    const samples = [...this.done.values()].filter((e) => e.sample).sort((a, b) => a.layout - b.layout || (a.k as number) - (b.k as number));
    writeFileAtomic(samplesFile(this.out), samples.map((e) => JSON.stringify(e.sample) + '\n').join(''));
    killPoint('sample.merged');
    this.log.close();
    fs.rmSync(ledgerFile(this.out), { force: true });
    syncDir(this.out);
  }

  close(): void {
    this.log.close();
  }
}
