// divsyn train --model latent: the neighbours-enhanced loss's targets (a neighbour table over the training
// layouts, cached in RUN/neighbours.json, and the neighbours' photos) and the warm-up.
import path from 'node:path';
import { GeneratorSpec } from '../graph/spec.js';
import { Dataset } from '../train/datasets.js';
import { evalItems } from '../train/loader.js';
import { chwToRgb } from '../common/image.js';
import { loadOrComputeNeighbours, neighbourKey, neighbourTable, NeighbourOptions } from '../train/neighbours.js';
import { LatentTraining } from '../train/trainer.js';
import { neighbourSummary, neighbourTargets } from '../train/neighbour-targets.js';
import { float, int } from './options.js';

export const latentTrainOptions = {
  neighbours: int({ min: 0, max: 64, default: 0, help: 'latent: neighbour targets per input (0: best-of-n alone)', meta: 'K' }),
  theta: float({
    min: 0,
    max: 1,
    default: 0.45,
    help: 'latent: neighbours are layouts differing in under this fraction of cells (--input image|landmarks: conditions under this relative squared L2 distance, ||a - b||² / (||a||² + ||b||²), of the normal maps or heat maps)',
    meta: 'T',
  }),
  colourClusters: int({ min: 0, max: 256, default: 0, help: 'latent: at most one neighbour per colour cluster of the photos (k-means; 0: off)', meta: 'N' }),
  warmup: int({ min: 0, default: 0, help: 'latent: steps that train branch (step mod n) alone', meta: 'N' }),
};

export interface LatentTrainValues {
  neighbours: number;
  theta: number;
  colourClusters: number;
  warmup: number;
  seed: number;
}

/** The table and the neighbours' photos (unaugmented, at the training size), by item name. */
export async function latentTraining(o: LatentTrainValues, spec: GeneratorSpec, dataset: Dataset, out: string, log: (m: string) => void): Promise<LatentTraining> {
  const k = o.neighbours;
  const warmupSteps = o.warmup;
  if (k === 0) return { warmupSteps };
  const { height: h, width: w } = spec;
  const items = await evalItems(dataset, w, h);
  const c = spec.classes.length;
  const hw = h * w;
  const options: NeighbourOptions = { theta: o.theta, k, clusters: o.colourClusters, seed: o.seed };
  const table = loadOrComputeNeighbours(path.join(out, 'neighbours.json'), neighbourKey(`${dataset.description} ${w}x${h}`, options), () =>
    neighbourTable(
      items.map((it) => ({ layout: classIndices(it.layout, c, hw), width: w, height: h, photo: chwToRgb(it.photo, h, w).data })),
      options,
    ),
  );
  log(neighbourSummary(table, o.theta, k));
  return neighbourTargets(table, items, k, warmupSteps);
}

function classIndices(onehot: Float32Array, c: number, hw: number): Uint8Array {
  const out = new Uint8Array(hw);
  for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) if (onehot[k * hw + p] > 0.5) out[p] = k;
  return out;
}
