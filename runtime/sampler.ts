// divsyn sample's engine: many images from layouts, with inference in a worker thread while PNG
// encoding and layout decoding go on in the main thread. Noise and codes depend only on (seed, stem, k).
// Every finished image is recorded in the run's ledger (sample-ledger.ts), so a killed run can resume.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PQueue from 'p-queue';
import { VariationScheme, drawSample, packVariations, unpackVariations, variationRecord } from '../common/variation.js';
import { SessionPool } from './pool.js';
import { modelError } from '../common/errors.js';
import { EpChoice } from './session.js';
import { RgbImage, chwToRgb, labelledGrid, tile, writePng } from '../common/image.js';
import { atomicWriteKillPoints, removeStaleTemporaries, syncDir, writeError } from '../common/files.js';
import { killPoint } from '../common/kill-points.js';
import { LedgerEntry, SampleLedger } from './sample-ledger.js';

export interface LayoutItem {
  stem: string;
  /** Where the layout came from (for samples.jsonl). */
  source: string;
  /** One-hot [C, H, W], or for a model with a condition (graph/condition.ts) the condition [K, H, W]. */
  onehot: Float32Array;
}

export interface SampleOptions {
  model: string;
  /** The classes' names (empty for a model with a condition). */
  classes: string[];
  /** A model with a condition: its input's name and channels (default: the one-hot `layout` of the classes). */
  input?: { name: string; channels: number };
  height: number;
  width: number;
  out: string;
  count: number;
  seed: number;
  /** How samples vary: packed noise and code (common/variation.ts), and the file's inputs they feed. */
  scheme: VariationScheme;
  inputs: { name: string; dim: number }[];
  /** Fixed noise values by class index; the other classes are random. */
  fixed: Map<number, number>;
  /** A strip per layout (a class's noise sweep, a code interpolation): its packed variations, in order, and the file name's suffix. */
  strip?: { suffix: string; variations: Float32Array[] };
  /** Also a grid per layout of its first `max` samples, `columns` to a row, numbered. */
  grid?: { columns: number; max: number };
  batch: number;
  ep: EpChoice;
  threads?: number;
  /** Continue the run in out from its ledger. */
  resume?: boolean;
  /**
   * Only these sample jobs are written (a shard, a queue job: runtime/shards.ts); the others are skipped as
   * recorded ones are, and batches are formed as in the whole run, so each image is the same bytes.
   */
  select?: (layout: number, k: number) => boolean;
  /** The command's options, kept in the ledger for sample --resume to compare (sample-ledger.ts). */
  runOptions?: Record<string, unknown>;
  /** A session of the caller's on this model (openSamplingPool), left open, and the model's digest: a queue worker keeps them across jobs. */
  pool?: SessionPool;
  modelDigest?: string;
  onProgress?: (done: number, total: number) => void;
}

interface Job {
  item: LayoutItem;
  /** The layout's position in the input order. */
  layout: number;
  /** Packed variation vector (noise, then code). */
  z: Float32Array;
  file: string;
  k: number;
  kind: 'sample' | 'strip';
  /** Its output is still to be written (or to be collected for a composite still to be written); false: in the ledger, and nothing waits for it. */
  needed: boolean;
}

export interface SampleSummary {
  images: number;
  seconds: number;
  ep: string;
}

/** Batches given to the inference worker at a time: one running, one waiting. */
const INFERENCE_DEPTH = 2;
/** Batches of images waiting to be encoded before the next batch is given to the worker. */
const ENCODE_DEPTH = 2;

/** Kill points of a sampling run (common/kill-points.ts). */
export const sampleKillPoints: readonly string[] = [...atomicWriteKillPoints, 'sample.image-written', 'sample.recorded', 'sample.merged'];

/** What the images of a run depend on, for the ledger: a resumed run must make the same ones. */
function runIdentity(total: number, o: SampleOptions): Record<string, unknown> {
  const model = o.modelDigest ?? modelDigest(o.model);
  // the seeded draws stand for the variation scheme (its kind, latent code choice) without naming it
  const draws = sha256(bytesOf(packVariations([0, 1].map((k) => o.scheme.draw(o.seed, 'ledger', k)))));
  const strip = o.strip ? { suffix: o.strip.suffix, variations: sha256(bytesOf(packVariations(o.strip.variations))) } : null;
  return { model, layouts: total, count: o.count, seed: o.seed, draws, fixed: [...o.fixed].sort((a, b) => a[0] - b[0]), grid: o.grid, strip };
}

/** The model file's SHA-256 (hex), which the images depend on. */
export function modelDigest(file: string): string {
  try {
    return sha256(fs.readFileSync(file));
  } catch (e) {
    throw modelError(`cannot read model file '${file}': ${(e as Error).message}`);
  }
}

const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');
const bytesOf = (f: Float32Array) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength);

/** The one inference session a sampling runs on, in a worker thread. */
export const openSamplingPool = (o: Pick<SampleOptions, 'model' | 'ep' | 'threads'>) => new SessionPool(o.model, { workers: 1, ep: o.ep, threads: o.threads ?? os.availableParallelism() });

/**
 * Samples every layout: `count` images each (and a grid, a strip), written atomically, each recorded in the
 * ledger once written; samples.jsonl is made from the ledger at the end. With resume, continues the run in
 * o.out: jobs in its ledger are not written again, and batches are formed as in a run that never stopped
 * (so every image is computed in the same batch, at the same position: the same bytes).
 */
export async function sampleLayouts(items: AsyncIterable<LayoutItem> | Iterable<LayoutItem>, total: number, o: SampleOptions): Promise<SampleSummary> {
  const c = o.input?.channels ?? o.classes.length;
  const inputName = o.input?.name ?? 'layout';
  const hw = o.height * o.width;
  if (o.fixed.size && !o.scheme.noise) throw modelError('this model takes no per-class noise: --noise does not apply');
  // samples.jsonl: the exact noise by class name, and the code, so any image can be made again
  const recordOf = (z: Float32Array) => variationRecord(z, o.inputs, o.classes);
  const run = runIdentity(total, o);
  const pool = o.pool ?? openSamplingPool(o);
  const closePool = () => (o.pool ? Promise.resolve() : pool.close());
  let ep: string;
  let ledger: SampleLedger;
  try {
    [ep] = await pool.providers();
    // a model that does not load leaves no ledger behind
    removeStaleTemporaries(o.out);
    ledger = SampleLedger.open(o.out, run, o.runOptions ?? {}, Boolean(o.resume));
  } catch (e) {
    await closePool();
    throw e;
  }
  // timed from here: session creation is a one-time cost, reading, inference and writing are the rate
  const started = performance.now();
  const writes = new PQueue({ concurrency: 2 });
  // The first failed write ends the run with an error naming the file: queued writes are dropped, the
  // running ones finish, and sampleLayouts rejects (no unhandled rejection from the queue).
  let failure: Error | undefined;
  // Written images are recorded a group at a time: one fsync of the folder makes their renames durable,
  // then one of the ledger its lines. A line lost to a power cut only makes a resumed run write its
  // image again; a line that outlived its image would lose the image, hence the order.
  const written: LedgerEntry[] = [];
  const commit = () => {
    if (!written.length) return;
    syncDir(o.out);
    ledger.record(written.splice(0));
    killPoint('sample.recorded');
  };
  const write = (entry: LedgerEntry, img: () => RgbImage) => {
    if (failure) return;
    const target = path.join(o.out, entry.file);
    writes
      .add(async () => {
        await writePng(target, img(), { syncDir: false });
        killPoint('sample.image-written');
        written.push(entry);
        if (written.length >= o.batch) commit();
      })
      .catch((e: unknown) => {
        failure ??= writeError(target, e);
        writes.clear();
      });
  };
  const stripSteps = o.strip?.variations.length ?? 0;
  const perLayout = o.count + stripSteps;
  let done = 0;
  let images = 0;
  const pending: Job[] = [];
  const results = new Map<string, RgbImage[]>(); // grids and strips collect their images by layout

  const flush = async (jobs: Job[]) => {
    if (failure) throw failure;
    if (jobs.some((j) => j.needed)) {
      const layout = new Float32Array(jobs.length * c * hw);
      jobs.forEach((j, i) => layout.set(j.item.onehot, i * c * hw));
      const feeds: Parameters<typeof pool.run>[0] = { [inputName]: { data: layout, dims: [jobs.length, c, o.height, o.width] } };
      for (const part of unpackVariations(packVariations(jobs.map((j) => j.z)), jobs.length, o.inputs)) feeds[part.name] = { data: part.data, dims: [jobs.length, part.dim] };
      // the feeds are this batch's own arrays, so they can move to the worker rather than be copied
      const data = (await pool.run(feeds, { handOver: true })).image.data;
      jobs.forEach((j, i) => {
        if (j.needed) take(j, chwToRgb(data, o.height, o.width, i * 3 * hw));
      });
    }
    done += jobs.length;
    o.onProgress?.(done, total * perLayout);
  };

  const take = (j: Job, img: RgbImage) => {
    const composite = j.kind === 'strip' ? 'strip' : 'grid';
    const collects = j.kind === 'strip' || (o.grid && j.k < o.grid.max && !ledger.has(j.layout, 'grid'));
    if (j.kind === 'sample' && !ledger.has(j.layout, j.k)) {
      write({ layout: j.layout, stem: j.item.stem, k: j.k, file: j.file, sample: { file: j.file, layout: j.item.source, seed: o.seed, k: j.k, ...recordOf(j.z) } }, () => img);
      images++;
    }
    if (!collects) return;
    const key = `${composite}:${j.layout}`;
    const list = results.get(key) ?? [];
    list[j.k] = img;
    results.set(key, list);
    if (list.filter(Boolean).length === (j.kind === 'strip' ? stripSteps : Math.min(o.count, o.grid?.max ?? 0))) {
      results.delete(key);
      // the stem stays as <stem>_<k>.png has it; only a class name is made file-safe
      const file = j.kind === 'strip' ? `${j.item.stem}_${o.strip!.suffix}.png` : `${j.item.stem}_grid.png`;
      write({ layout: j.layout, stem: j.item.stem, k: composite, file }, () => (j.kind === 'strip' ? tile(list, list.length) : labelledGrid(list, o.grid!.columns)));
    }
  };

  // Inference of batch i overlaps the decoding of batch i + 1's layouts and the encoding of batch i - 1's
  // images; batch i + 1 waits in the worker, so it never idles while this thread turns results into
  // images. Bounded so that memory stays flat however long the run: INFERENCE_DEPTH batches in the
  // worker, and at most ENCODE_DEPTH batches of images waiting to be encoded.
  const inFlight: Promise<void>[] = [];
  const dispatch = async (jobs: Job[]) => {
    while (inFlight.length >= INFERENCE_DEPTH) await inFlight.shift();
    await writes.onSizeLessThan(ENCODE_DEPTH * o.batch);
    const p = flush(jobs);
    p.catch(() => undefined); // handled when awaited, even if it fails while layouts are read
    inFlight.push(p);
  };
  let finished = false;
  try {
    let layout = 0;
    for await (const item of items) {
      ledger.checkLayout(layout, item.stem);
      // a composite still to be written needs every image of it, recorded or not
      const gridDone = !o.grid || ledger.has(layout, 'grid');
      const stripDone = !o.strip || ledger.has(layout, 'strip');
      for (let k = 0; k < o.count; k++) {
        const z = drawSample(o.scheme, o.seed, item.stem, k, o.fixed);
        const selected = o.select?.(layout, k) ?? true;
        pending.push({ item, layout, z, file: `${item.stem}_${k}.png`, k, kind: 'sample', needed: selected && ((!gridDone && k < (o.grid?.max ?? 0)) || !ledger.has(layout, k)) });
      }
      o.strip?.variations.forEach((z, s) => pending.push({ item, layout, z, file: '', k: s, kind: 'strip', needed: !stripDone }));
      layout++;
      while (pending.length >= o.batch) await dispatch(pending.splice(0, o.batch));
    }
    if (pending.length) await dispatch(pending.splice(0));
    while (inFlight.length) await inFlight.shift();
    await writes.onIdle();
    if (failure) throw failure;
    commit();
    ledger.finish();
    finished = true;
  } finally {
    // nothing left running on the way out: the batches in flight finish, queued writes are dropped and
    // the running ones finish; the ledger stays for --resume, with the images written so far
    await Promise.allSettled(inFlight);
    writes.clear();
    await writes.onIdle();
    if (!finished) {
      try {
        commit();
      } catch {
        // the error on its way out says more; the images not recorded are written again on resume
      }
      ledger.close();
    }
    await closePool();
  }
  return { images, seconds: (performance.now() - started) / 1000, ep };
}
