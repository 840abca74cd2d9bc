// Runs a generator graph (bytes or file) as a batch function, in batches of at most `batch`. Each sample's
// variation vector (noise, then code: graph/spec.ts variationInputs) is unpacked into the file's inputs
// (common/variation.ts).
import { unpackVariations } from '../common/variation.js';
import { SessionOptions, createSession, floatTensor, ort } from './session.js';
import { GeneratorSpec } from '../graph/spec.js';
import { conditionChannels, conditionInputName } from '../graph/condition.js';
import { variationInputs } from '../graph/families/index.js';

/** The shape of spec's generator file: its conditioning input and its variation inputs. */
export const generatorShape = (spec: GeneratorSpec): GeneratorShape => ({
  classes: conditionChannels(spec),
  input: conditionInputName(spec),
  height: spec.height,
  width: spec.width,
  variation: variationInputs(spec),
});

export interface GeneratorRunner {
  /** Images [n, 3, H, W] of layouts [n, C, H, W] (or conditions [n, K, H, W]) and variation vectors [n, Σ dims]. */
  generate(layout: Float32Array, variation: Float32Array, n: number): Promise<Float32Array>;
  ep: string;
  release(): Promise<void>;
}

export interface GeneratorShape {
  /** Channels of the conditioning input: the classes of a one-hot layout, or a condition's (graph/condition.ts). */
  classes: number;
  /** The conditioning input's name (default `layout`; `condition` for a normal map or landmarks). */
  input?: string;
  height: number;
  width: number;
  /** The per-sample inputs besides the layout (default: noise [C]). */
  variation?: { name: string; dim: number }[];
}

export async function openGenerator(model: Uint8Array | string, shape: GeneratorShape, o: SessionOptions & { batch?: number } = {}): Promise<GeneratorRunner> {
  const { session, ep } = await createSession(model, o);
  const { classes: c, height: h, width: w } = shape;
  const input = shape.input ?? 'layout';
  const parts = shape.variation ?? [{ name: 'noise', dim: c }];
  const vdim = parts.reduce((s, p) => s + p.dim, 0);
  const maxBatch = o.batch ?? 8;
  return {
    ep,
    async generate(layout, variation, n) {
      const out = new Float32Array(n * 3 * h * w);
      for (let start = 0; start < n; start += maxBatch) {
        const k = Math.min(maxBatch, n - start);
        const feeds: Record<string, ort.Tensor> = { [input]: floatTensor(layout.subarray(start * c * h * w, (start + k) * c * h * w), [k, c, h, w]) };
        for (const p of unpackVariations(variation.subarray(start * vdim, (start + k) * vdim), k, parts)) feeds[p.name] = floatTensor(p.data, [k, p.dim]);
        const r = await session.run(feeds);
        out.set(r.image.data as Float32Array, start * 3 * h * w);
      }
      return out;
    },
    release: () => session.release(),
  };
}
