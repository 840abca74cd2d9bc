// Jobs on a BullMQ queue in Redis: a coordinator enqueues them, follows them and collects their results;
// workers on any number of machines run them. A worker killed mid-job loses its lock, and BullMQ's
// stalled-job check (run by the other workers every lock duration) puts the job back for another.
// Redis is reached through ioredis (runtime/redis.ts): a server that does not answer is one error (no retry
// loop at the start), and one lost for LOST_AFTER_MS mid-run ends the coordinator or worker with an error.
import crypto from 'node:crypto';
import { Job, Queue, Worker } from 'bullmq';
import { InterruptedRun, stateError, usageError } from '../common/errors.js';
import { RedisAddress, bullConnection, parseRedisUrl, probeRedis, watchRedis } from './redis.js';

export interface QueuePlace {
  /** redis://host:port[/db] */
  redis: string;
  queue: string;
}

/** A coordinator or worker that cannot reach Redis for this long gives up. */
const LOST_AFTER_MS = 10_000;
const POLL_MS = 500;
/** How long the first connection and PING may take, together: well inside the 10 s a bad address may cost. */
const PROBE_MS = 3000;
/** Jobs that fail (throw) are tried this many times, on whichever worker takes them, before the run fails. */
const ATTEMPTS = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fails with one usage error naming the address when Redis does not answer a PING within PROBE_MS (a command calls it before any work). */
export async function reachQueue(place: QueuePlace): Promise<RedisAddress> {
  const a = parseRedisUrl(place.redis);
  if (!place.queue.trim() || place.queue.includes(':')) throw usageError(`option --queue: '${place.queue}' is not a queue name (non-empty, no ':')`);
  try {
    await probeRedis(a, PROBE_MS);
  } catch (e) {
    throw usageError(`option --redis: ${(e as Error).message}`);
  }
  return a;
}

export interface JobSpec<D> {
  data: D;
  /** Images the job makes, for progress. */
  images: number;
}

export interface QueueProgress {
  done: number;
  total: number;
  imagesPerSecond: number;
  /** Workers connected now, and all seen during the run. */
  workers: number;
  workersSeen: number;
}

export interface QueueRunHooks {
  onProgress?(p: QueueProgress): void;
  onLog?(message: string): void;
  /** Aborted: the jobs not yet finished are removed from the queue (those in hand finish), and runJobs rejects. */
  signal?: AbortSignal;
}

/** Jobs of the queue not yet finished: waiting, in a worker's hand, or due for a retry. */
async function unfinishedJobs(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
  return Object.values(counts).reduce((x, y) => x + y, 0);
}

/**
 * Enqueues the jobs on a queue that holds no unfinished ones, follows them until all are done, and
 * returns their results in job order; a job that failed ATTEMPTS times ends the run with its error (and
 * the queue is emptied, so that workers stop). The queue is emptied at the end too, and when the signal aborts.
 */
export async function runJobs<D, R>(place: QueuePlace, jobs: JobSpec<D>[], hooks: QueueRunHooks = {}): Promise<{ results: R[]; seconds: number; workersSeen: number }> {
  const a = await reachQueue(place);
  const connection = bullConnection(a);
  const queue = new Queue(place.queue, { connection });
  queue.on('error', () => undefined); // reconnecting; a lasting loss is the watchdog's to report
  // ioredis holds a command until Redis is back (no retry limit: BullMQ's rule), so each wait on Redis
  // races the watchdog, which ends the run when Redis stays away
  let reportLost: (e: Error) => void = () => undefined;
  const lost = new Promise<never>((_, reject) => (reportLost = reject));
  lost.catch(() => undefined);
  const redis = <T>(command: Promise<T>) => Promise.race([command, lost]);
  const stopWatch = watchRedis(a, LOST_AFTER_MS, (e) => reportLost(e));
  try {
    await redis(queue.waitUntilReady());
    const unfinished = await redis(unfinishedJobs(queue));
    if (unfinished) throw stateError(`queue '${place.queue}' on ${place.redis} holds ${unfinished} unfinished jobs of another run: give another --queue, or wait for that run`);
    await redis(queue.obliterate({ force: true })); // what finished runs left
    const tag = crypto.randomBytes(4).toString('hex');
    const ids = jobs.map((_, i) => `${tag}-${i}`);
    for (let i = 0; i < jobs.length; i += 500)
      await redis(queue.addBulk(jobs.slice(i, i + 500).map((j, n) => ({ name: 'sample', data: j.data, opts: { jobId: ids[i + n], attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 1000 } } }))));
    hooks.onLog?.(
      `enqueued ${jobs.length} job${jobs.length === 1 ? '' : 's'} on queue '${place.queue}' at ${place.redis}; waiting for workers (divsyn worker --redis ${place.redis} --queue ${place.queue})`,
    );
    const total = jobs.reduce((s, j) => s + j.images, 0);
    const sizes = new Map(ids.map((id, i) => [id, jobs[i].images]));
    const started = performance.now();
    let firstImage: { at: number; done: number } | undefined;
    const seen = new Set<string>();
    for (;;) {
      if (hooks.signal?.aborted) {
        const left = await redis(unfinishedJobs(queue));
        await redis(queue.obliterate({ force: true }));
        hooks.onLog?.(`removed the ${left} unfinished jobs of queue '${place.queue}' (workers finish the jobs in hand and take no more); a run on a queue does not resume: run it again to start over`);
        throw new InterruptedRun();
      }
      const counts = await redis(queue.getJobCounts('completed', 'failed'));
      if (counts.failed) {
        const [job] = await redis(queue.getFailed(0, 0));
        await redis(queue.obliterate({ force: true }));
        throw stateError(job ? `queue job ${job.id} failed ${job.attemptsMade} times: ${job.failedReason}` : `a job of queue '${place.queue}' failed ${ATTEMPTS} times`);
      }
      const active = await redis(queue.getActive());
      const workers = await redis(queue.getWorkers());
      for (const w of workers) seen.add(`${w.addr ?? ''}/${w.name ?? ''}`);
      const finished = counts.completed === jobs.length;
      // finished jobs by count (all but the last have the same size), running ones by the images they report
      const partly = active.reduce((s, j) => s + Math.min(sizes.get(j.id!) ?? 0, typeof j.progress === 'number' ? j.progress : 0), 0);
      const done = finished ? total : Math.min(total, Math.round((counts.completed / jobs.length) * total) + partly);
      const now = performance.now();
      if (done > 0 && !firstImage) firstImage = { at: now, done };
      const rate = firstImage && now > firstImage.at ? ((done - firstImage.done) / (now - firstImage.at)) * 1000 : 0;
      hooks.onProgress?.({ done, total, imagesPerSecond: rate, workers: workers.length, workersSeen: seen.size });
      if (finished) break;
      await sleep(POLL_MS);
    }
    const results: R[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const got = await redis(Promise.all(ids.slice(i, i + 100).map((id) => Job.fromId(queue, id))));
      for (const [n, job] of got.entries()) {
        if (!job) throw stateError(`queue job ${ids[i + n]} vanished from '${place.queue}' before its result was read (was the queue emptied by another run?)`);
        results.push(job.returnvalue as R);
      }
    }
    await redis(queue.obliterate({ force: true }));
    return { results, seconds: (performance.now() - started) / 1000, workersSeen: seen.size };
  } finally {
    stopWatch();
    connection.disconnect(); // first: with Redis away, close() would wait for it
    await queue.close().catch(() => undefined);
  }
}

export interface WorkerOptions {
  /** The lock a worker holds on its job, renewed while it runs; a worker silent this long has its job taken back. */
  lockDurationMs: number;
  /** Shown by the coordinator's count of workers. */
  name: string;
  /** Aborted: finish the job in hand, then return. */
  signal?: AbortSignal;
  /** Return once the queue has held no unfinished job for this long (job arrays, tests); unset: run until the signal. */
  exitWhenEmptyMs?: number;
  onLog?(message: string): void;
}

export interface QueueJob<D> {
  id: string;
  data: D;
  /** 1 on the first try; more after a failure or a stall. */
  attempt: number;
  /** Images made so far, for the coordinator's progress. */
  progress(images: number): void;
}

/** Calls onEmpty once the queue has held no unfinished job for `ms` (checked every POLL_MS); returns a stop function. */
function watchEmpty(queue: Queue, ms: number, onEmpty: () => void): () => void {
  let emptySince: number | undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    unfinishedJobs(queue)
      .then(
        (n) => {
          const now = performance.now();
          emptySince = n ? undefined : (emptySince ?? now);
          if (emptySince !== undefined && now - emptySince >= ms) {
            clearInterval(timer);
            onEmpty();
          }
        },
        () => (emptySince = undefined), // Redis away: the watchdog's to report
      )
      .finally(() => (busy = false));
  }, POLL_MS);
  return () => clearInterval(timer);
}

/** Takes jobs from the queue one at a time and runs them until the signal aborts, the queue stays empty (exitWhenEmptyMs) or Redis is lost. */
export async function serveJobs<D, R>(place: QueuePlace, run: (job: QueueJob<D>) => Promise<R>, o: WorkerOptions): Promise<{ empty: boolean }> {
  const a = await reachQueue(place);
  const connection = bullConnection(a);
  let lost: Error | undefined;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const worker = new Worker<D, R>(
    place.queue,
    async (job) => {
      let reported = 0;
      return await run({
        id: job.id!,
        data: job.data,
        attempt: job.attemptsMade + 1,
        progress: (images) => {
          // a few updates a second at most: each is a round trip to Redis
          if (performance.now() - reported < 500) return;
          reported = performance.now();
          job.updateProgress(images).catch(() => undefined);
        },
      });
    },
    { connection, concurrency: 1, lockDuration: o.lockDurationMs, stalledInterval: o.lockDurationMs, maxStalledCount: 2, name: o.name },
  );
  worker.on('error', () => undefined); // reconnecting; a lasting loss is the watchdog's to report
  worker.on('failed', (job, e) => o.onLog?.(`job ${job?.id ?? '?'} failed: ${e.message}`));
  const stopWatch = watchRedis(a, LOST_AFTER_MS, (e) => {
    lost = e;
    stop();
  });
  if (o.signal?.aborted) stop();
  o.signal?.addEventListener('abort', stop);
  let empty = false;
  const countingConnection = o.exitWhenEmptyMs === undefined ? undefined : bullConnection(a);
  const counting = countingConnection && new Queue(place.queue, { connection: countingConnection });
  counting?.on('error', () => undefined);
  let stopEmpty = () => undefined as void;
  try {
    await worker.waitUntilReady();
    o.onLog?.(`worker ${o.name} on queue '${place.queue}' at ${place.redis} (lock ${o.lockDurationMs / 1000} s)`);
    if (counting)
      stopEmpty = watchEmpty(counting, o.exitWhenEmptyMs!, () => {
        empty = true;
        stop();
      });
    await stopped;
  } finally {
    o.signal?.removeEventListener('abort', stop);
    stopEmpty();
    stopWatch();
    await counting?.close().catch(() => undefined);
    countingConnection?.disconnect();
    // with Redis lost there is no lock to give back: end at once
    await worker.close(Boolean(lost)).catch(() => undefined);
    connection.disconnect();
  }
  if (lost) throw lost;
  return { empty };
}
