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
import { AugmentOptions, LayoutPhoto, augmentPair, loadSize } from './augment.js';
import { Dataset, Sample } from './datasets.js';
import { rgbToPlanar } from '../common/image.js';
import { resizeBilinear, resizeNearest } from './resize.js';
import { oneHot } from './labels.js';

export interface Batch {
  /** One-hot layouts [B, C, H, W], or with a condition reader its condition [B, K, H, W]. */
  layout: Float32Array;
  /** Photos [B, 3, H, W] in [0, 1]. */
  image: Float32Array;
  stems: string[];
  /** The step this batch is, and the stream position (epoch, index within the epoch) of its first item. */
  step: number;
  epoch: number;
  index: number;
}

/** An item at the output size: its photo, and its condition written into a batch on demand. */
export interface PreparedItem {
  stem: string;
  /** RGB, interleaved, at the output size. */
  photo: Uint8Array;
  /** Writes the condition [channels, H, W] (one-hot for label maps) into out at offset. */
  writeCondition(out: Float32Array, offset: number): void;
}

/** Where a read item goes: its output size, the epoch it is read for, and its augmentation (with its Rng) or none. */
export interface ReadTarget {
  width: number;
  height: number;
  epoch?: number;
  augment: AugmentOptions | false;
  rng?: Rng;
}

/** How items of a dataset become conditions and photos: label maps (labelReader) or a condition (train/condition-data.ts). */
export interface ItemReader {
  readonly length: number;
  /** Channels of one item's condition: the classes, or the condition's channels. */
  readonly channels: number;
  read(index: number, target: ReadTarget): Promise<PreparedItem>;
}

/** Label maps as one-hot conditions: resized (nearest) or augmented with the photo; a warning per item at most once. */
export function labelReader(dataset: Dataset, onWarning: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`)): ItemReader {
  const warned = new Set<string>();
  const c = dataset.classes.length;
  return {
    length: dataset.length,
    channels: c,
    async read(index, t) {
      const crop = t.augment && (t.augment.crop ?? true);
      const s: Sample = await dataset.load(index, { width: crop ? loadSize(t.width) : t.width, height: crop ? loadSize(t.height) : t.height, epoch: t.epoch });
      if (s.warning && !warned.has(s.stem)) {
        warned.add(s.stem);
        onWarning(s.warning);
      }
      const p: LayoutPhoto = t.augment ? augmentPair(s, t.rng!, t.width, t.height, t.augment) : resized(s, t.width, t.height);
      return { stem: s.stem, photo: p.photo, writeCondition: (out, offset) => oneHot(p.layout, c, out, offset) };
    },
  };
}

export interface LoaderOptions {
  /** Label-map data (read by labelReader), unless `reader` is given. */
  dataset?: Dataset;
  /** How items are read (a condition's reader, train/condition-data.ts); default labelReader(dataset). */
  reader?: ItemReader;
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
  /** Channels of an item's condition (the classes of label maps). */
  readonly channels: number;
  readonly width: number;
  readonly height: number;
  readonly batch: number;
  private readonly queue: PQueue;
  private readonly pending = new Map<number, Promise<Batch>>();
  private readonly orders = new Map<number, number[]>();
  private readonly reader: ItemReader;
  private readonly augment: AugmentOptions | false;
  private nextStep: number;
  private closed = false;

  /** Starts at `start`: a step number, or a stream position at a batch boundary (default step 0). */
  constructor(
    private readonly o: LoaderOptions,
    start: number | StreamPosition = 0,
  ) {
    if (!(o.batch >= 1 && Number.isInteger(o.batch))) throw new Error(`batch ${o.batch}`);
    if (!o.reader && !o.dataset) throw new Error('a loader needs a dataset or a reader');
    this.reader = o.reader ?? labelReader(o.dataset!, o.onWarning);
    this.items = this.reader.length;
    if (this.items < 1) throw new Error('empty dataset');
    this.channels = this.reader.channels;
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
    const items: Promise<PreparedItem>[] = [];
    for (let j = 0; j < B; j++) {
      const g = step * B + j;
      const epoch = Math.floor(g / this.items);
      const index = this.orderOf(epoch)[g % this.items];
      const target: ReadTarget = { width: this.width, height: this.height, epoch, augment: this.augment, ...(this.augment ? { rng: new Rng(this.o.seed, `augment:${g}`) } : {}) };
      items.push(this.queue.add(() => this.reader.read(index, target), { throwOnTimeout: true }));
    }
    const p = Promise.all(items).then((xs) => this.assemble(step, xs));
    p.catch(() => {}); // rejected batches surface when asked for, not as unhandled rejections
    return p;
  }

  private assemble(step: number, xs: PreparedItem[]): Batch {
    const hw = this.width * this.height;
    const C = this.channels;
    const layout = new Float32Array(xs.length * C * hw);
    const image = new Float32Array(xs.length * 3 * hw);
    xs.forEach((x, j) => {
      x.writeCondition(layout, j * C * hw);
      rgbToPlanar(x.photo, this.width, this.height, image, j * 3 * hw);
    });
    return { layout, image, stems: xs.map((x) => x.stem), step, ...positionOfStep(step, this.batch, this.items) };
  }
}

function resized(s: Sample, W: number, H: number): LayoutPhoto {
  if (s.width === W && s.height === H) return s;
  return { layout: resizeNearest(s.layout, s.width, s.height, 1, W, H), photo: resizeBilinear(s.photo, s.width, s.height, 3, W, H), width: W, height: H };
}

/** A loader factory in the shape the training loop takes: `(startStep) => loader`. */
export function batchOpener(o: LoaderOptions): (startStep: number) => BatchLoader {
  return (startStep) => new BatchLoader(o, startStep);
}

export interface EvalItem {
  stem: string;
  /** One-hot [C, H, W], or a condition reader's condition [K, H, W]. */
  layout: Float32Array;
  /** Photo [3, H, W] in [0, 1]. */
  photo: Float32Array;
}

/**
 * The first `count` items of a dataset in file order, resized to width×height (nearest for layouts,
 * bilinear for photos), not augmented: for measures and previews.
 */
export function evalItems(dataset: Dataset, width: number, height = width, count = dataset.length, onWarning?: (m: string) => void): Promise<EvalItem[]> {
  return evalItemsOf(labelReader(dataset, onWarning ?? ((m) => process.stderr.write(`warning: ${m}\n`))), width, height, count);
}

/** evalItems through any reader (a condition's: train/condition-data.ts). */
export async function evalItemsOf(reader: ItemReader, width: number, height = width, count = reader.length): Promise<EvalItem[]> {
  const n = Math.min(count, reader.length);
  const queue = new PQueue({ concurrency: 4 });
  const channels = reader.channels;
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      queue.add(
        async () => {
          const it = await reader.read(i, { width, height, augment: false });
          const layout = new Float32Array(channels * width * height);
          it.writeCondition(layout, 0);
          return { stem: it.stem, layout, photo: rgbToPlanar(it.photo, width, height) };
        },
        { throwOnTimeout: true },
      ),
    ),
  );
}
