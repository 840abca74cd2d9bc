// The prefetching batch loader. Step s reads positions s·B … s·B+B−1 of an endless stream whose epoch e is
// a seeded shuffle of the dataset (Rng(seed, "order:e")); the item at position g is augmented with
// Rng(seed, "augment:g"). Positions, not history, decide the data, so a run resumed at a step (or at
// (epoch, index)) reads exactly what the uninterrupted run would have, whatever the prefetch depth.
//
// Decoding runs ahead of the training step: sharp decodes on libuv's thread pool, so up to `concurrency`
// files decode at once while the step computes; the augmentation and the one-hot/planar packing (a few
// milliseconds of typed-array code per item) run on the main thread between steps. A batch whose files
// fail rejects with the UserError when the training loop asks for it, not before.
import PQueue from 'p-queue';
import { Rng } from '../graph/random.js';
import { AugmentOptions, augmentPair, loadSize } from './augment.js';
import { Dataset, Sample } from './datasets.js';
import { rgbToPlanar } from '../common/image.js';
import { resizeBilinear, resizeNearest } from './resize.js';
import { oneHot } from './labels.js';

export interface Batch {
  /** One-hot layouts [B, C, H, W]. */
  layout: Float32Array;
  /** Photos [B, 3, H, W] in [0, 1]. */
  image: Float32Array;
  stems: string[];
  /** The step this batch is, and the stream position (epoch, index within the epoch) of its first item. */
  step: number;
  epoch: number;
  index: number;
}

export interface LoaderOptions {
  dataset: Dataset;
  /** Output size (height defaults to width). */
  width: number;
  height?: number;
  batch: number;
  seed: number;
  /** pix2pix augmentation (resize to 286/256·S, random crop, flip): true (default), false (resize only), or options. */
  augment?: boolean | AugmentOptions;
  /** Batches decoded ahead of the one asked for (default 2). */
  prefetch?: number;
  /** Items decoded at once (default 4). */
  concurrency?: number;
  /** Called once per item whose label map warrants a warning (default: print to stderr). */
  onWarning?: (message: string) => void;
}

export interface StreamPosition {
  epoch: number;
  /** Index within the epoch's order, 0 … N−1. */
  index: number;
}

/** The dataset order of epoch `epoch`: a permutation of 0 … n−1 drawn from (seed, epoch). */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  return new Rng(seed, `order:${epoch}`).shuffle([...Array(n).keys()]);
}

/** The stream position where step `step` starts. */
export function positionOfStep(step: number, batch: number, items: number): StreamPosition {
  const g = step * batch;
  return { epoch: Math.floor(g / items), index: g % items };
}

/** The step that starts at (epoch, index); the position must be at a batch boundary. */
export function stepOfPosition(p: StreamPosition, batch: number, items: number): number {
  const g = p.epoch * items + p.index;
  if (g % batch) throw new Error(`position (epoch ${p.epoch}, index ${p.index}) is not at a batch boundary (batch ${batch}, ${items} items)`);
  return g / batch;
}

export class BatchLoader {
  readonly items: number;
  readonly classes: number;
  readonly width: number;
  readonly height: number;
  readonly batch: number;
  private readonly queue: PQueue;
  private readonly pending = new Map<number, Promise<Batch>>();
  private readonly orders = new Map<number, number[]>();
  private readonly warned = new Set<string>();
  private readonly augment: AugmentOptions | false;
  private nextStep: number;
  private closed = false;

  /** Starts at `start`: a step number, or a stream position at a batch boundary (default step 0). */
  constructor(
    private readonly o: LoaderOptions,
    start: number | StreamPosition = 0,
  ) {
    if (!(o.batch >= 1 && Number.isInteger(o.batch))) throw new Error(`batch ${o.batch}`);
    this.items = o.dataset.length;
    if (this.items < 1) throw new Error('empty dataset');
    this.classes = o.dataset.classes.length;
    this.width = o.width;
    this.height = o.height ?? o.width;
    this.batch = o.batch;
    this.augment = o.augment === false ? false : o.augment === true || o.augment === undefined ? {} : o.augment;
    this.queue = new PQueue({ concurrency: Math.max(1, o.concurrency ?? 4) });
    this.nextStep = typeof start === 'number' ? start : stepOfPosition(start, o.batch, this.items);
    this.fill();
  }

  /** Steps per epoch (N / B; fractional when B does not divide N: batches then straddle epochs). */
  get stepsPerEpoch(): number {
    return this.items / this.batch;
  }

  /** The epoch step `step` starts in. */
  epochOf(step: number): number {
    return Math.floor((step * this.batch) / this.items);
  }

  /** Where the next batch starts. */
  position(): StreamPosition & { step: number } {
    return { step: this.nextStep, ...positionOfStep(this.nextStep, this.batch, this.items) };
  }

  /** The next batch (prefetched); later batches start decoding at once. */
  next(): Promise<Batch> {
    if (this.closed) return Promise.reject(new Error('loader closed'));
    const step = this.nextStep++;
    const p = this.pending.get(step) ?? this.schedule(step);
    this.pending.delete(step);
    this.fill();
    return p;
  }

  /** Stops prefetching; pending work is dropped. */
  close(): void {
    this.closed = true;
    this.queue.clear();
    this.pending.clear();
  }

  private fill(): void {
    const ahead = Math.max(0, this.o.prefetch ?? 2);
    for (let s = this.nextStep; s < this.nextStep + ahead; s++) if (!this.pending.has(s)) this.pending.set(s, this.schedule(s));
  }

  private orderOf(epoch: number): number[] {
    let order = this.orders.get(epoch);
    if (!order) {
      order = epochOrder(this.items, this.o.seed, epoch);
      this.orders.set(epoch, order);
      for (const e of this.orders.keys()) if (e < epoch - 1 || e > epoch + 1) this.orders.delete(e);
    }
    return order;
  }

  private schedule(step: number): Promise<Batch> {
    const B = this.batch;
    const items: Promise<{ stem: string; layout: Uint8Array; photo: Uint8Array }>[] = [];
    for (let j = 0; j < B; j++) {
      const g = step * B + j;
      const epoch = Math.floor(g / this.items);
      const index = this.orderOf(epoch)[g % this.items];
      items.push(this.queue.add(() => this.loadItem(index, g, epoch), { throwOnTimeout: true }));
    }
    const p = Promise.all(items).then((xs) => this.assemble(step, xs));
    p.catch(() => {}); // rejected batches surface when asked for, not as unhandled rejections
    return p;
  }

  private async loadItem(index: number, g: number, epoch: number): Promise<{ stem: string; layout: Uint8Array; photo: Uint8Array }> {
    const W = this.width;
    const H = this.height;
    const crop = this.augment && (this.augment.crop ?? true);
    const s: Sample = await this.o.dataset.load(index, { width: crop ? loadSize(W) : W, height: crop ? loadSize(H) : H, epoch });
    if (s.warning && !this.warned.has(s.stem)) {
      this.warned.add(s.stem);
      (this.o.onWarning ?? ((m) => process.stderr.write(`warning: ${m}\n`)))(s.warning);
    }
    if (this.augment) {
      const a = augmentPair(s, new Rng(this.o.seed, `augment:${g}`), W, H, this.augment);
      return { stem: s.stem, layout: a.layout, photo: a.photo };
    }
    return resized(s, W, H);
  }

  private assemble(step: number, xs: { stem: string; layout: Uint8Array; photo: Uint8Array }[]): Batch {
    const hw = this.width * this.height;
    const C = this.classes;
    const layout = new Float32Array(xs.length * C * hw);
    const image = new Float32Array(xs.length * 3 * hw);
    xs.forEach((x, j) => {
      oneHot(x.layout, C, layout, j * C * hw);
      rgbToPlanar(x.photo, this.width, this.height, image, j * 3 * hw);
    });
    return { layout, image, stems: xs.map((x) => x.stem), step, ...positionOfStep(step, this.batch, this.items) };
  }
}

function resized(s: Sample, W: number, H: number): { stem: string; layout: Uint8Array; photo: Uint8Array } {
  if (s.width === W && s.height === H) return s;
  return { stem: s.stem, layout: resizeNearest(s.layout, s.width, s.height, 1, W, H), photo: resizeBilinear(s.photo, s.width, s.height, 3, W, H) };
}

/** A loader factory in the shape the training loop takes: `(startStep) => loader`. */
export function batchOpener(o: LoaderOptions): (startStep: number) => BatchLoader {
  return (startStep) => new BatchLoader(o, startStep);
}

export interface EvalItem {
  stem: string;
  /** One-hot [C, H, W]. */
  layout: Float32Array;
  /** Photo [3, H, W] in [0, 1]. */
  photo: Float32Array;
}

/**
 * The first `count` items of a dataset in file order, resized to width×height (nearest for layouts,
 * bilinear for photos), not augmented: for measures and previews.
 */
export async function evalItems(dataset: Dataset, width: number, height = width, count = dataset.length, onWarning?: (m: string) => void): Promise<EvalItem[]> {
  const n = Math.min(count, dataset.length);
  const queue = new PQueue({ concurrency: 4 });
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      queue.add(
        async () => {
          const s = await dataset.load(i, { width, height });
          if (s.warning) (onWarning ?? ((m) => process.stderr.write(`warning: ${m}\n`)))(s.warning);
          const r = resized(s, width, height);
          return { stem: s.stem, layout: oneHot(r.layout, dataset.classes.length), photo: rgbToPlanar(r.photo, width, height) };
        },
        { throwOnTimeout: true },
      ),
    ),
  );
}
