// The web entry's sampler (web/sampler.ts) on onnxruntime-node, from a file or bytes, with divsyn's
// session choices: the execution provider with fallback, and threads.
import { SamplerOptions, Sampler, createSampler } from '../web/sampler.js';
import { readOnnxFile } from './onnx-file.js';
import { SessionOptions, createSession, ort } from './session.js';

export async function openSampler(model: string | Uint8Array, o: SessionOptions & Pick<SamplerOptions, 'batch' | 'codes'> = {}): Promise<Sampler> {
  const bytes = typeof model === 'string' ? readOnnxFile(model, 'model file').bytes : model;
  const { session, ep } = await createSession(bytes, o);
  try {
    const sampler = await createSampler(bytes, ort, { session, batch: o.batch, codes: o.codes, name: typeof model === 'string' ? model : undefined });
    return { ...sampler, ep, release: () => session.release() };
  } catch (e) {
    await session.release();
    throw e;
  }
}
