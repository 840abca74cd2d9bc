// worker(): runs the jobs of `divsyn sample --redis` runs from a BullMQ queue, one at a time, until
// stopped. A job samples its range of the run into a folder of its own under the output folder, then
// renames each image into place (atomic on one file system): a job run twice, after a worker was killed
// or lost its lock, leaves each image once, with the same bytes. The run's prepared sampling and its
// onnxruntime session are kept from job to job (opening a session costs more than many images).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareOutputDir, syncDir } from '../common/files.js';
import { serveJobs } from '../runtime/queue.js';
import { samplesFile } from '../runtime/sample-ledger.js';
import { modelDigest, openSamplingPool } from '../runtime/sampler.js';
import { threadsOption } from './common.js';
import { OptionsInput, ParsedOptions, int, need, parsedOptions, str } from './options.js';
import { KeptModel, Sampling, prepareSampling, runSampling, sampleOptions } from './sample.js';
import { PARTS_DIR, SampleJobData, SampleJobResult } from './sample-queue.js';

export const workerOptions = {
  redis: str({ help: 'the Redis server of the queue', meta: 'URL' }),
  queue: str({ help: 'the queue name given to divsyn sample --queue', meta: 'NAME' }),
  threads: { ...threadsOption.threads, help: "onnxruntime intra-op threads (default: the run's --threads, else all cores; images equal a one-machine run's with the same threads)" },
  lockDuration: int({
    min: 200,
    max: 3_600_000,
    default: 30_000,
    help: "how long a job's lock lasts unrenewed (ms): a worker killed mid-job has its job rerun by another after one to two of these",
    meta: 'MS',
  }),
  exitWhenEmpty: int({
    min: 0,
    max: 86_400,
    help: 'exit (status 0) once the queue has held no unfinished job for S seconds: for job arrays, and workers started after the run is enqueued (default: run until stopped)',
    meta: 'S',
  }),
};

/** worker()'s options: the `divsyn worker` flags in camelCase; redis and queue are required. */
export type WorkerOptions = OptionsInput<typeof workerOptions>;

export interface WorkerHooks {
  onLog?(message: string): void;
  /** A job finished by this worker. */
  onJob?(job: { id: string; images: number; seconds: number; attempt: number }): void;
  /** Aborted: finish the job in hand, then return. */
  signal?: AbortSignal;
}

export interface WorkerResult {
  jobs: number;
  images: number;
  /** It stopped because the queue stayed empty (exitWhenEmpty), not on the signal. */
  empty: boolean;
}

/** The run a worker's last job belonged to: its prepared sampling and the session on its model, reused while jobs of that run come. */
class OpenRun {
  private key?: string;
  private open?: { sampling: Sampling; kept: KeptModel };

  constructor(private readonly log: (m: string) => void) {}

  /** The sampling and session for a job; a job of another run (or of a model file rewritten since) closes the last ones. */
  async get(data: SampleJobData, threads: number | undefined): Promise<{ sampling: Sampling; kept: KeptModel }> {
    const model = path.resolve(data.cwd, String(data.options.model));
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(model);
    } catch {
      // prepareSampling names the file it cannot read
    }
    const key = JSON.stringify([data.options, data.cwd, data.out, threads ?? null, stat?.size, stat?.mtimeMs]);
    if (this.open && key === this.key) return this.open;
    await this.close();
    const runThreads = data.options.threads as number | undefined;
    if (threads !== undefined && threads !== runThreads)
      this.log(`note: --threads ${threads} where the run has ${runThreads ?? 'none (all cores)'}: images equal a one-machine run's only with the same --threads`);
    // checked against the run's folder; each job samples into a part of its own under it
    const parsed = parsedOptions(sampleOptions, { ...data.options, ...(threads !== undefined ? { threads } : {}), out: data.out, force: true });
    const sampling = await prepareSampling(parsed, this.log, data.cwd);
    const pool = openSamplingPool(sampling.engine);
    try {
      const [ep] = await pool.providers();
      this.log(`opened ${model} on ${ep}, kept for the run's jobs`);
    } catch (e) {
      await pool.close();
      throw e;
    }
    this.open = { sampling, kept: { pool, modelDigest: modelDigest(sampling.modelPath) } };
    this.key = key;
    return this.open;
  }

  async close(): Promise<void> {
    const open = this.open;
    this.open = this.key = undefined;
    await open?.kept.pool.close();
  }
}

/** Runs sampling jobs from the queue until the signal aborts or, with exitWhenEmpty, the queue stays empty (Redis lost: an error). */
export async function worker(options: WorkerOptions | ParsedOptions<typeof workerOptions>, hooks: WorkerHooks = {}): Promise<WorkerResult> {
  const { values: o } = parsedOptions(workerOptions, options);
  const name = `${os.hostname()}:${process.pid}`;
  const log = (m: string) => hooks.onLog?.(m);
  const total = { jobs: 0, images: 0, empty: false };
  const run = new OpenRun(log);
  try {
    const served = await serveJobs<SampleJobData, SampleJobResult>(
      { redis: need(o, 'redis'), queue: need(o, 'queue') },
      async (job) => {
        const started = performance.now();
        let r: Omit<SampleJobResult, 'seconds'>;
        try {
          r = await sampleJob(job.data, await run.get(job.data, o.threads), `${job.id}.${job.attempt}`, name, (images) => job.progress(images));
        } catch (e) {
          // the next job opens the model afresh: a session pool whose worker died would fail every job given to it
          await run.close().catch(() => undefined);
          throw e;
        }
        const seconds = (performance.now() - started) / 1000;
        total.jobs++;
        total.images += r.lines.length;
        hooks.onJob?.({ id: job.id, images: r.lines.length, seconds, attempt: job.attempt });
        return { ...r, seconds };
      },
      { lockDurationMs: o.lockDuration, name, signal: hooks.signal, exitWhenEmptyMs: o.exitWhenEmpty === undefined ? undefined : o.exitWhenEmpty * 1000, onLog: log },
    );
    total.empty = served.empty;
  } finally {
    await run.close();
  }
  return total;
}

/** One queue job: its range of the run sampled into a folder of its own, then its images renamed into the run's folder. */
async function sampleJob(
  data: SampleJobData,
  open: { sampling: Sampling; kept: KeptModel },
  attempt: string,
  name: string,
  progress: (images: number) => void,
): Promise<Omit<SampleJobResult, 'seconds'>> {
  const { range } = data;
  const part = path.join(data.out, PARTS_DIR, `${attempt}.${name.replace(/[^\w.-]+/g, '.')}.${crypto.randomBytes(4).toString('hex')}`);
  prepareOutputDir(part, false);
  try {
    await runSampling(open.sampling, part, range, (done) => progress(Math.max(0, Math.min(range.to - range.from, done - range.from))), open.kept);
    const count = open.sampling.engine.count;
    const text = fs.readFileSync(samplesFile(part), 'utf8');
    const lines = text.split('\n').filter(Boolean);
    if (lines.length !== range.to - range.from) throw new Error(`job made ${lines.length} samples where its range holds ${range.to - range.from}`);
    const made = lines.map((line, i) => {
      const at = range.from + i;
      const record = JSON.parse(line) as { file: string; k: number };
      if (record.k !== at % count) throw new Error(`job's sample ${i} has k ${record.k}, not ${at % count}`);
      fs.renameSync(path.join(part, record.file), path.join(data.out, record.file));
      return { layout: Math.floor(at / count), k: at % count, line };
    });
    syncDir(data.out);
    return { lines: made, worker: name };
  } finally {
    fs.rmSync(part, { recursive: true, force: true });
  }
}
