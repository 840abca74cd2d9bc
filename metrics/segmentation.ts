// Realism by segmentation (Yang et al., Table II, after pix2pix's FCN score): a segmenter labels generated
// images and its labels are compared with the layouts they came from.
//   confusion   C x C pixel counts pooled over the dataset: rows the true class, columns the predicted one.
//   pixel acc.  per image (correct / labelled pixels), then averaged over images.
//   IoU_c       TP / (TP + FP + FN) from the pooled matrix; a class in neither the truth nor the prediction
//               has no IoU (0/0) and is left out of the mean, as the FCN-score code's nanmean does; a class
//               only predicted has IoU 0 and counts.

export interface SegmentationScore {
  /** Per-image pixel accuracy averaged over images. */
  pixelAccuracy: number;
  /** Mean of `iou` over the classes that have one. */
  meanIoU: number;
  /** Per class; null where the class is absent from both truth and prediction. */
  iou: (number | null)[];
  /** [truth][prediction] pixel counts. */
  confusion: number[][];
  images: number;
}

/** Class per pixel of n maps [n, C, HW]: the highest score (ties: the lower class). */
export function argmaxClasses(scores: Float32Array, n: number, c: number, hw: number): Int32Array {
  const out = new Int32Array(n * hw);
  for (let i = 0; i < n; i++) {
    const base = i * c * hw;
    const best = new Float32Array(scores.subarray(base, base + hw));
    const row = out.subarray(i * hw, (i + 1) * hw);
    for (let k = 1; k < c; k++) {
      const plane = scores.subarray(base + k * hw, base + (k + 1) * hw);
      for (let p = 0; p < hw; p++) {
        if (plane[p] > best[p]) {
          best[p] = plane[p];
          row[p] = k;
        }
      }
    }
  }
  return out;
}

/** Class per pixel of n one-hot maps [n, C, HW]; -1 where no class is set (unlabelled: not counted). */
export function classesOfOneHot(onehot: Float32Array, n: number, c: number, hw: number): Int32Array {
  const out = new Int32Array(n * hw).fill(-1);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++) {
      const plane = onehot.subarray((i * c + k) * hw, (i * c + k + 1) * hw);
      for (let p = 0; p < hw; p++) if (plane[p] > 0.5) out[i * hw + p] = k;
    }
  return out;
}

/** Pools images into a confusion matrix and keeps each image's pixel accuracy. */
export class SegmentationTally {
  /** Row-major [truth * C + prediction]; float64 counts stay exact far beyond any dataset. */
  readonly confusion: Float64Array;
  readonly accuracies: number[] = [];

  constructor(readonly classes: number) {
    this.confusion = new Float64Array(classes * classes);
  }

  /** One image's true and predicted class maps (same length); returns its pixel accuracy. */
  addImage(truth: ArrayLike<number>, prediction: ArrayLike<number>): number {
    const c = this.classes;
    if (truth.length !== prediction.length) throw new Error(`truth has ${truth.length} pixels, prediction ${prediction.length}`);
    let labelled = 0;
    let correct = 0;
    for (let p = 0; p < truth.length; p++) {
      const t = truth[p];
      if (t < 0) continue;
      const q = prediction[p];
      if (t >= c || q < 0 || q >= c) throw new Error(`class ${t >= c ? t : q} at pixel ${p} is outside 0..${c - 1}`);
      this.confusion[t * c + q]++;
      labelled++;
      if (t === q) correct++;
    }
    // an image with no labelled pixel has no accuracy: it does not enter the mean
    const acc = labelled ? correct / labelled : NaN;
    if (labelled) this.accuracies.push(acc);
    return acc;
  }

  /** n images given as class maps [n, HW]. */
  addImages(truth: Int32Array, prediction: Int32Array, n: number): void {
    const hw = truth.length / n;
    for (let i = 0; i < n; i++) this.addImage(truth.subarray(i * hw, (i + 1) * hw), prediction.subarray(i * hw, (i + 1) * hw));
  }

  score(): SegmentationScore {
    return segmentationScore(this.confusion, this.classes, this.accuracies);
  }
}

/** IoU per class from a pooled confusion matrix [truth * C + prediction]; null for absent classes. */
export function classIoU(confusion: ArrayLike<number>, c: number): (number | null)[] {
  return Array.from({ length: c }, (_, k) => {
    let truth = 0;
    let predicted = 0;
    for (let j = 0; j < c; j++) {
      truth += confusion[k * c + j];
      predicted += confusion[j * c + k];
    }
    const tp = confusion[k * c + k];
    const union = truth + predicted - tp;
    return union > 0 ? tp / union : null;
  });
}

/** Mean over the classes that have an IoU (NaN if none has). */
export function meanIoU(iou: (number | null)[]): number {
  const present = iou.filter((x): x is number => x !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : NaN;
}

export function segmentationScore(confusion: ArrayLike<number>, c: number, accuracies: number[]): SegmentationScore {
  const iou = classIoU(confusion, c);
  return {
    pixelAccuracy: accuracies.length ? accuracies.reduce((a, b) => a + b, 0) / accuracies.length : NaN,
    meanIoU: meanIoU(iou),
    iou,
    confusion: Array.from({ length: c }, (_, k) => Array.from({ length: c }, (_, j) => confusion[k * c + j])),
    images: accuracies.length,
  };
}
