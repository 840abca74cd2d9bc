// Central finite differences against the builder's gradients, run in onnxruntime.
import { GradientOptions, Graph, Rng, Tensor, emitModel, gradients, mul, sum } from '../../graph/index.js';
import { createSession, floatTensor, ort } from '../../runtime/session.js';

export interface CheckedInput {
  tensor: Tensor;
  value: Float32Array;
}

export interface GradCheckResult {
  worst: number;
  checked: number;
  report: string[];
}

export async function runModel(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const { session } = await createSession(bytes, { threads: 1 });
  const out = await session.run(feeds);
  const result: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(out)) result[k] = v.data as Float32Array;
  await session.release();
  return result;
}

/**
 * Checks d objective / d input for every input. The objective is Σ y·R with a fixed random R, so the
 * upstream gradient is not uniform. Compares element-wise on up to `perInput` elements and along a few
 * random directions; returns the worst normalised error.
 */
export async function gradCheck(
  g: Graph,
  y: Tensor,
  inputs: CheckedInput[],
  opts: { seed?: number; eps?: number; perInput?: number; extraFeeds?: Record<string, ort.Tensor>; gradients?: GradientOptions } = {},
): Promise<GradCheckResult> {
  const rng = new Rng(opts.seed ?? 1, 'gradcheck');
  const eps = opts.eps ?? 1e-2;
  const weights = g.constant(rng.fillUniform(new Float32Array(y.size), 0.5, 1.5), y.shape);
  const objective = sum(mul(y, weights));
  const grads = gradients(
    objective,
    inputs.map((i) => i.tensor),
    opts.gradients,
  );
  const full = emitModel(g, {
    outputs: [['objective', objective], ...grads.map((d, i) => [`grad${i}`, d] as [string, Tensor])],
    params: 'inputs',
    inputs: inputs.map((i) => i.tensor),
  });
  const lossOnly = emitModel(g, { outputs: [['objective', objective]], params: 'inputs', inputs: inputs.map((i) => i.tensor) });
  const { session: fullS } = await createSession(full, { threads: 1 });
  const { session: lossS } = await createSession(lossOnly, { threads: 1 });
  const nameOf = (t: Tensor) => (t.source as { name: string }).name;
  const feedsFor = (values: Float32Array[]) => {
    const f: Record<string, ort.Tensor> = { ...opts.extraFeeds };
    inputs.forEach((inp, i) => (f[nameOf(inp.tensor)] = floatTensor(values[i], inp.tensor.shape as number[])));
    return f;
  };
  const base = inputs.map((i) => i.value);
  const analytic = await fullS.run(feedsFor(base));
  // float32 rounding of the objective, divided by the step: below this, differences are noise
  const noiseFloor = (Math.abs(analytic.objective.data[0] as number) * 4e-7) / eps;
  const loss = async (values: Float32Array[]) => (await lossS.run(feedsFor(values))).objective.data[0] as number;
  const directional = async (i: number, dir: Float32Array, h: number) => {
    const plus = base.slice();
    const minus = base.slice();
    plus[i] = base[i].map((v, k) => v + h * dir[k]);
    minus[i] = base[i].map((v, k) => v - h * dir[k]);
    return ((await loss(plus)) - (await loss(minus))) / (2 * h);
  };

  let worst = 0;
  let checked = 0;
  const report: string[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const an = analytic[`grad${i}`].data as Float32Array;
    const scale = Math.max(1e-3, ...Array.from(an, Math.abs));
    const n = an.length;
    const picks = n <= (opts.perInput ?? 48) ? [...Array(n).keys()] : rng.shuffle([...Array(n).keys()]).slice(0, opts.perInput ?? 48);
    const dirs: Float32Array[] = picks.map((k) => {
      const d = new Float32Array(n);
      d[k] = 1;
      return d;
    });
    for (let r = 0; r < 3; r++) dirs.push(rng.fillUniform(new Float32Array(n), -1, 1));
    for (const d of dirs) {
      let a = 0;
      let dn = 0;
      for (let k = 0; k < n; k++) {
        a += an[k] * d[k];
        dn += Math.abs(d[k]);
      }
      const errAt = async (h: number) => {
        const fd = await directional(i, d, h);
        const err = Math.max(0, Math.abs(fd - a) - (noiseFloor * Math.sqrt(dn) * eps) / h) / (scale * Math.max(1, Math.sqrt(dn)));
        return { fd, err };
      };
      // Where a curved or kinked objective defeats the first step, a step three times smaller must
      // bring the estimate closer to a right rule; a wrong rule stays off at every step.
      let { fd, err } = await errAt(eps);
      if (err > 0.02) ({ fd, err } = await errAt(eps / 3));
      checked++;
      if (err > worst) worst = err;
      if (err > 0.02) report.push(`input ${i}: analytic ${a.toFixed(5)} vs numeric ${fd.toFixed(5)}`);
    }
  }
  await fullS.release();
  await lossS.release();
  return { worst, checked, report };
}

/**
 * Random values in [lo, hi), kept at least `margin` away from each kink (where a rule's one-sided
 * derivatives differ), so that finite differences never straddle one.
 */
export function randomInput(g: Graph, name: string, shape: number[], rng: Rng, lo = -1, hi = 1, kinks: number[] = [], margin = 0.08): CheckedInput {
  const size = shape.reduce((a, b) => a * b, 1);
  const value = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let v: number;
    do v = rng.range(lo, hi);
    while (kinks.some((k) => Math.abs(v - k) < margin));
    value[i] = v;
  }
  return { tensor: g.input(name, shape), value };
}
