// Parameter initialisation on the host, from a seeded PRNG. Each parameter draws from its own stream
// (seed + name), so adding a layer does not change the others' initial values.
import { Rng } from './random.js';
import { Init, Tensor, paramName } from './tensor.js';

export function initialValue(init: Init, size: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  switch (init.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'normal':
      for (let i = 0; i < size; i++) out[i] = (init.mean ?? 0) + init.std * rng.normal();
      return out;
    case 'kaiming': {
      const std = (init.gain ?? Math.SQRT2) / Math.sqrt(init.fanIn);
      for (let i = 0; i < size; i++) out[i] = std * rng.normal();
      return out;
    }
    case 'uniform':
      return rng.fillUniform(out, -init.bound, init.bound);
  }
}

/** Initial values of parameters, by name. */
export function initParams(params: readonly Tensor[], seed: number): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const p of params) {
    if (p.source.kind !== 'param') throw new Error(`${p} is not a parameter`);
    values.set(paramName(p), initialValue(p.source.init, p.size, new Rng(seed, paramName(p))));
  }
  return values;
}
