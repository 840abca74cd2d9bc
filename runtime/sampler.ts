// divsyn sample's engine: many images from layouts, with inference in a worker thread while PNG
// encoding and layout decoding go on in the main thread. Noise and codes depend only on (seed, stem, k).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PQueue from 'p-queue';
import { VariationScheme, packVariations, unpackVariations } from '../common/variation.js';
import { SessionPool } from './pool.js';
import { UserError } from '../common/errors.js';
import { EpChoice } from './session.js';
import { RgbImage, chwToRgb, labelledGrid, tile, writePng } from '../common/image.js';

export interface LayoutItem {
  stem: string;
  /** Where the layout came from (for samples.jsonl). */
  source: string;
  /** One-hot [C, H, W]. */
  onehot: Float32Array;
}

export interface SampleOptions {
  model: string;
  classes: string[];
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
  onProgress?: (done: number, total: number) => void;
}

interface Job {
  item: LayoutItem;
  /** Packed variation vector (noise, then code). */
  z: Float32Array;
  file: string;
  k: number;
  kind: 'sample' | 'strip';
}

export interface SampleSummary {
  images: number;
  seconds: number;
  ep: string;
}

export async function sampleLayouts(items: AsyncIterable<LayoutItem> | Iterable<LayoutItem>, total: number, o: SampleOptions): Promise<SampleSummary> {
  const c = o.classes.length;
  const hw = o.height * o.width;
  if (o.fixed.size && !o.scheme.noise) throw new UserError('this model takes no per-class noise: --noise does not apply');
  const noiseAt = o.scheme.noise?.offset ?? 0;
  // samples.jsonl: the exact noise by class name, and the code, so any image can be made again
  const recordOf = (z: Float32Array) => {
    const r: { noise?: Record<string, number>; code?: number[] } = {};
    for (const part of unpackVariations(z, 1, o.inputs)) {
      if (part.name === 'noise') r.noise = Object.fromEntries(o.classes.map((name, ci) => [name, part.data[ci]]));
      else r.code = Array.from(part.data);
    }
    return r;
  };
  const pool = new SessionPool(o.model, { workers: 1, ep: o.ep, threads: o.threads ?? os.availableParallelism() });
  const [ep] = await pool.providers().catch(async (e: unknown) => {
    await pool.close();
    throw e;
  });
  // timed from here: session creation is a one-time cost, reading, inference and writing are the rate
  const started = performance.now();
  const writes = new PQueue({ concurrency: 2 });
  // The first failed write ends the run with an error naming the file: queued writes are dropped, the
  // running ones finish, and sampleLayouts rejects (no unhandled rejection from the queue).
  let failure: Error | undefined;
  const fail = (file: string, e: unknown) => new UserError(`could not write '${file}': ${(e as Error).message}`);
  const write = (file: string, img: () => RgbImage) => {
    if (failure) return;
    const target = path.join(o.out, file);
    writes
      .add(() => writePng(target, img()))
      .catch((e: unknown) => {
        failure ??= fail(target, e);
        writes.clear();
      });
  };
  // samples.jsonl appears (by rename) once every line of it is written
  const logFile = path.join(o.out, 'samples.jsonl');
  const log = fs.openSync(`${logFile}.tmp`, 'w');
  let renamed = false;
  const stripSteps = o.strip?.variations.length ?? 0;
  const perLayout = o.count + stripSteps;
  let done = 0;
  let images = 0;
  const pending: Job[] = [];
  const results = new Map<string, RgbImage[]>(); // grids and strips collect their images by stem

  const flush = async (jobs: Job[]) => {
    if (failure) throw failure;
    const layout = new Float32Array(jobs.length * c * hw);
    jobs.forEach((j, i) => layout.set(j.item.onehot, i * c * hw));
    const feeds: Parameters<typeof pool.run>[0] = { layout: { data: layout, dims: [jobs.length, c, o.height, o.width] } };
    for (const part of unpackVariations(packVariations(jobs.map((j) => j.z)), jobs.length, o.inputs)) feeds[part.name] = { data: part.data, dims: [jobs.length, part.dim] };
    const out = await pool.run(feeds);
    const data = out.image.data;
    jobs.forEach((j, i) => {
      const img = chwToRgb(data, o.height, o.width, i * 3 * hw);
      const key = `${j.kind}:${j.item.stem}`;
      if (j.kind === 'strip' || (o.grid && j.k < o.grid.max)) {
        const list = results.get(key) ?? [];
        list[j.k] = img;
        results.set(key, list);
      }
      if (j.kind === 'sample') {
        write(j.file, () => img);
        const line = JSON.stringify({ file: j.file, layout: j.item.source, seed: o.seed, k: j.k, ...recordOf(j.z) }) + '\n';
        try {
          fs.writeSync(log, line);
        } catch (e) {
          throw fail(`${logFile}.tmp`, e);
        }
        images++;
      }
      const list = results.get(key);
      const need = j.kind === 'strip' ? stripSteps : Math.min(o.count, o.grid?.max ?? 0);
      if (list && list.filter(Boolean).length === need) {
        results.delete(key);
        // the stem stays as <stem>_<k>.png has it; only a class name is made file-safe
        const file = j.kind === 'strip' ? `${j.item.stem}_${o.strip!.suffix}.png` : `${j.item.stem}_grid.png`;
        write(file, () => (j.kind === 'strip' ? tile(list, list.length) : labelledGrid(list, o.grid!.columns)));
      }
      done++;
    });
    o.onProgress?.(done, total * perLayout);
  };

  // inference of batch i overlaps PNG encoding of batch i-1: at most one batch waits in the worker
  let inFlight: Promise<void> = Promise.resolve();
  try {
    for await (const item of items) {
      for (let k = 0; k < o.count; k++) {
        const z = o.scheme.draw(o.seed, item.stem, k);
        for (const [ci, v] of o.fixed) z[noiseAt + ci] = v;
        pending.push({ item, z, file: `${item.stem}_${k}.png`, k, kind: 'sample' });
      }
      o.strip?.variations.forEach((z, s) => pending.push({ item, z, file: '', k: s, kind: 'strip' }));
      while (pending.length >= o.batch) {
        const jobs = pending.splice(0, o.batch);
        await inFlight;
        inFlight = flush(jobs);
        inFlight.catch(() => undefined); // handled when awaited, even if it fails while layouts are read
      }
    }
    await inFlight;
    if (pending.length) await flush(pending.splice(0));
    await writes.onIdle();
    if (failure) throw failure;
    fs.closeSync(log);
    try {
      fs.renameSync(`${logFile}.tmp`, logFile);
    } catch (e) {
      throw fail(logFile, e);
    }
    renamed = true;
  } finally {
    // nothing left running on the way out: the batch in flight finishes, queued writes are dropped and
    // the running ones finish
    await inFlight.catch(() => undefined);
    writes.clear();
    await writes.onIdle();
    try {
      fs.closeSync(log);
    } catch {
      // already closed
    }
    if (!renamed) {
      try {
        fs.rmSync(`${logFile}.tmp`, { force: true });
      } catch {
        // the error on its way out says more
      }
    }
    await pool.close();
  }
  return { images, seconds: (performance.now() - started) / 1000, ep };
}
