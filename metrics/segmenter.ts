// Runs a segmenter file (docs/formats.md#segmenter-file) over images in batches and scores its labels
// against the layouts: the confusion matrix and per-image accuracies of metrics/segmentation.ts.
import { ClassInfo } from '../graph/spec.js';
import { modelError } from '../common/errors.js';
import { readSegmenter } from '../runtime/segmenter-file.js';
import { SessionOptions, createSession, floatTensor } from '../runtime/session.js';
import { SegmentationScore, SegmentationTally, argmaxClasses, classesOfOneHot } from './segmentation.js';

export type { SegmentationScore } from './segmentation.js';

export interface SegmentationAccumulator {
  /** n images [n, 3, H, W] in [0, 1] against their one-hot layouts [n, C, H, W]. */
  add(images: Float32Array, layouts: Float32Array, n: number): Promise<void>;
  score(): SegmentationScore;
}

export interface Segmenter {
  readonly path: string;
  readonly classes: ClassInfo[];
  readonly ep: string;
  /** Class per pixel [n, H*W]: the argmax of `scores`. */
  predict(images: Float32Array, n: number): Promise<Int32Array>;
  /** The confusion matrix [truth * C + prediction] and per-image pixel accuracies of n images. */
  segment(images: Float32Array, layouts: Float32Array, n: number): Promise<{ confusion: Float64Array; accuracies: number[] }>;
  /** A fresh tally to feed images to batch by batch (a dataset, a model's samples). */
  accumulator(): SegmentationAccumulator;
  release(): Promise<void>;
}

const names = (cs: ClassInfo[]) => {
  const shown = cs
    .slice(0, 12)
    .map((c) => c.name)
    .join(', ');
  return cs.length > 12 ? `${shown}, …` : shown;
};

/**
 * Opens a segmenter for images of `size` labelled with `classes`; a segmenter with other classes (by
 * count or name) or another fixed image size is a UserError naming the file.
 */
export async function openSegmenter(file: string, classes: ClassInfo[], size: { height: number; width: number }, o: SessionOptions & { batch?: number } = {}): Promise<Segmenter> {
  const f = readSegmenter(file);
  if (f.classes.length !== classes.length || f.classes.some((c, i) => c.name !== classes[i].name))
    throw modelError(`segmenter '${file}' has ${f.classes.length} classes (${names(f.classes)}); the data has ${classes.length} (${names(classes)})`);
  const [, ch, h, w] = f.imageShape;
  if ((typeof ch === 'number' && ch !== 3) || (typeof h === 'number' && h !== size.height) || (typeof w === 'number' && w !== size.width))
    throw modelError(`segmenter '${file}' takes images [${f.imageShape.join(', ')}]; these are [N, 3, ${size.height}, ${size.width}] (train one with --size ${size.height})`);
  const { session, ep } = await createSession(f.bytes, o);
  const c = classes.length;
  const hw = size.height * size.width;
  const maxBatch = o.batch ?? 8;

  const predict = async (images: Float32Array, n: number): Promise<Int32Array> => {
    const out = new Int32Array(n * hw);
    for (let start = 0; start < n; start += maxBatch) {
      const k = Math.min(maxBatch, n - start);
      const r = await session.run({ image: floatTensor(images.subarray(start * 3 * hw, (start + k) * 3 * hw), [k, 3, size.height, size.width]) });
      const scores = r.scores;
      if (scores.dims.length !== 4 || scores.dims[0] !== k || scores.dims[1] !== c || scores.dims[2] * scores.dims[3] !== hw)
        throw modelError(`segmenter '${file}' gave scores [${scores.dims.join(', ')}], expected [${k}, ${c}, ${size.height}, ${size.width}]`);
      out.set(argmaxClasses(scores.data as Float32Array, k, c, hw), start * hw);
    }
    return out;
  };

  const accumulator = (): SegmentationAccumulator => {
    const tally = new SegmentationTally(c);
    return {
      async add(images, layouts, n) {
        tally.addImages(classesOfOneHot(layouts, n, c, hw), await predict(images, n), n);
      },
      score: () => tally.score(),
    };
  };

  return {
    path: file,
    classes: f.classes,
    ep,
    predict,
    async segment(images, layouts, n) {
      const tally = new SegmentationTally(c);
      tally.addImages(classesOfOneHot(layouts, n, c, hw), await predict(images, n), n);
      return { confusion: tally.confusion, accuracies: tally.accuracies };
    },
    accumulator,
    release: () => session.release(),
  };
}
