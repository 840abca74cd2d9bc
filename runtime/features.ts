// A feature network (any ONNX file whose first input takes float32 [N, 3, H, W]) as a batch function from
// images in [0, 1] to one feature vector per image: the chosen taps (node output names), flattened and
// concatenated. The file is imported through the builder, so internal taps need no re-export.
import { Graph, concat, emitModel, flatten, importOnnx } from '../graph/index.js';
import { FeatureNorm, normaliseImage } from '../graph/perceptual.js';
import { modelError } from '../common/errors.js';
import { SessionOptions, createSession, floatTensor } from './session.js';
import { readFeatureNetwork } from './feature-file.js';

export type { FeatureNorm };
export const FEATURE_NORMS: readonly FeatureNorm[] = ['imagenet', 'none'];

export interface FeatureNet {
  /** Feature vectors [n, dim] of n images [n, 3, H, W]. */
  features(images: Float32Array, n: number): Promise<Float32Array>;
  dim: number;
  release(): Promise<void>;
}

export async function openFeatureNet(file: string, shape: { height: number; width: number; batch: number }, o: SessionOptions & { taps?: string[]; norm?: FeatureNorm } = {}): Promise<FeatureNet> {
  const { bytes } = readFeatureNetwork(file);
  const { height: h, width: w, batch } = shape;
  const g = new Graph();
  const image = g.input('image', [batch, 3, h, w]);
  const x = normaliseImage(image, o.norm ?? 'imagenet');
  let imported;
  try {
    imported = importOnnx(g, bytes, x, { outputs: o.taps });
  } catch (e) {
    throw modelError(`feature network '${file}': ${(e as Error).message}`);
  }
  const taps = [...imported.outputs.values()].map((t) => flatten(t));
  const features = concat(taps, 1);
  const dim = features.shape[1] as number;
  const { session } = await createSession(emitModel(g, { outputs: [['features', features]], params: 'initializers' }), o);
  return {
    dim,
    async features(images, n) {
      const out = new Float32Array(n * dim);
      const one = 3 * h * w;
      for (let start = 0; start < n; start += batch) {
        const k = Math.min(batch, n - start);
        const buf = new Float32Array(batch * one);
        buf.set(images.subarray(start * one, (start + k) * one));
        const r = await session.run({ image: floatTensor(buf, [batch, 3, h, w]) });
        out.set((r.features.data as Float32Array).subarray(0, k * dim), start * dim);
      }
      return out;
    },
    release: () => session.release(),
  };
}
