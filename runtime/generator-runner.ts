// Runs a generator graph (bytes or file) as a batch function, in batches of at most `batch`.
import { SessionOptions, createSession, floatTensor, ort } from './session.js';

export interface GeneratorRunner {
  generate(layout: Float32Array, noise: Float32Array, n: number): Promise<Float32Array>;
  ep: string;
  release(): Promise<void>;
}

export async function openGenerator(model: Uint8Array | string, shape: { classes: number; height: number; width: number }, o: SessionOptions & { batch?: number } = {}): Promise<GeneratorRunner> {
  const { session, ep } = await createSession(model, o);
  const { classes: c, height: h, width: w } = shape;
  const maxBatch = o.batch ?? 8;
  return {
    ep,
    async generate(layout, noise, n) {
      const out = new Float32Array(n * 3 * h * w);
      for (let start = 0; start < n; start += maxBatch) {
        const k = Math.min(maxBatch, n - start);
        const feeds: Record<string, ort.Tensor> = {
          layout: floatTensor(layout.subarray(start * c * h * w, (start + k) * c * h * w), [k, c, h, w]),
          noise: floatTensor(noise.subarray(start * c, (start + k) * c), [k, c]),
        };
        const r = await session.run(feeds);
        out.set(r.image.data as Float32Array, start * 3 * h * w);
      }
      return out;
    },
    release: () => session.release(),
  };
}
