// sample --redis: the run's sample jobs as queue jobs of whole batches (runtime/shards.ts), run by
// `divsyn worker`s (api/worker.ts); when all are done, samples.jsonl from their results.
import fs from 'node:fs';
import path from 'node:path';
import { stateError } from '../common/errors.js';
import { writeFileAtomic } from '../common/files.js';
import { QueuePlace, QueueProgress, runJobs } from '../runtime/queue.js';
import { samplesFile } from '../runtime/sample-ledger.js';
import { JobRange, RunLayout, SampleLine, defaultJobImages, joinSampleLines, queueRanges } from '../runtime/shards.js';

/** Each job attempt samples into a folder of its own in here, then moves its images into the output folder. */
export const PARTS_DIR = '.divsyn-jobs';

/** What a queue job carries: sample()'s options for the whole run (paths as given, and the folder they are relative to) and its jobs. */
export interface SampleJobData {
  options: Record<string, unknown>;
  cwd: string;
  /** The run's output folder, absolute: every worker must see it (a shared file system). */
  out: string;
  range: JobRange;
}

export interface SampleJobResult {
  /** The job's samples.jsonl lines, with their (layout, k). */
  lines: { layout: number; k: number; line: string }[];
  worker: string;
  seconds: number;
}

export interface QueueSampling {
  place: QueuePlace;
  layouts: RunLayout[];
  count: number;
  batch: number;
  /** The images' size, for the default job size. */
  height: number;
  width: number;
  jobImages?: number;
  out: string;
  options: Record<string, unknown>;
  onProgress?: (p: QueueProgress) => void;
  onLog?: (message: string) => void;
  /** Aborted: the run's unfinished jobs are removed from the queue, and sampleOnQueue rejects (InterruptedRun). */
  signal?: AbortSignal;
}

/** Enqueues the run, waits for the workers, checks every (layout, k) came back once, and writes samples.jsonl. */
export async function sampleOnQueue(q: QueueSampling): Promise<{ images: number; seconds: number; workersSeen: number }> {
  const out = path.resolve(q.out);
  const jobs = q.layouts.length * q.count;
  const ranges = queueRanges(jobs, q.batch, q.jobImages ?? defaultJobImages(jobs, q.height, q.width));
  const queued = ranges.map((range) => ({ data: { options: q.options, cwd: process.cwd(), out, range } satisfies SampleJobData, images: range.to - range.from }));
  try {
    const r = await runJobs<SampleJobData, SampleJobResult>(q.place, queued, { onProgress: q.onProgress, onLog: q.onLog, signal: q.signal });
    const lines: SampleLine[] = r.results.flatMap((res, i) => res.lines.map((l) => ({ ...l, origin: `queue job ${i} (worker ${res.worker})` })));
    const text = joinSampleLines(lines, q.layouts, q.count);
    for (const l of lines) {
      const file = path.join(out, (JSON.parse(l.line) as { file: string }).file);
      if (!fs.existsSync(file)) throw stateError(`${l.origin} reported '${file}', which is not there: does every worker see '${out}' (a shared file system)?`);
    }
    writeFileAtomic(samplesFile(out), text);
    return { images: lines.length, seconds: r.seconds, workersSeen: r.workersSeen };
  } finally {
    // failed or interrupted too: the run does not resume, and a part left here would be an unknown file in --out
    fs.rmSync(path.join(out, PARTS_DIR), { recursive: true, force: true });
  }
}
