// Calibration of a quantised file's activation ranges: the float32 model run on given inputs with the
// chosen activations as extra outputs, each tensor's values kept as exact extremes and a strided subset
// from which the percentile range is read (the same inputs give the same ranges).
import onnxProto from 'onnx-proto';
import type { Range } from '../graph/quantize/qdq.js';
import { Feeds, SessionOptions, createSession } from './session.js';

/** minmax: the extremes seen; percentile: the `percentile` and 1 - `percentile` quantiles of the values. */
export type CalibrationMethod = 'minmax' | 'percentile';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile'];

/** Values kept per tensor and run for the quantiles: enough for a 1e-4 tail over a few runs. */
const KEPT_PER_RUN = 1 << 16;
/** Values kept per tensor over all runs, so that memory stays bounded however many samples calibrate. */
const KEPT_IN_ALL = 1 << 19;

export interface TensorStatistics {
  min: number;
  max: number;
  /** A strided subset of the values of every run. */
  kept: Float32Array[];
}

/** Each tensor's statistics over the `runs` runs of `model` (float32), one on each of `feeds` (made as they are needed). */
export async function collectStatistics(model: onnxProto.onnx.IModelProto, tensors: string[], feeds: Iterable<Feeds>, runs: number, o: SessionOptions = {}): Promise<Map<string, TensorStatistics>> {
  const keptPerRun = Math.min(KEPT_PER_RUN, Math.floor(KEPT_IN_ALL / Math.max(1, runs)));
  const probed = onnxProto.onnx.ModelProto.create({
    ...model,
    graph: {
      ...model.graph,
      output: [...(model.graph!.output ?? []), ...tensors.filter((t) => !(model.graph!.output ?? []).some((v) => v.name === t)).map((name) => ({ name, type: { tensorType: { elemType: 1 } } }))],
    },
  });
  const { session } = await createSession(onnxProto.onnx.ModelProto.encode(probed).finish(), o);
  const stats = new Map<string, TensorStatistics>(tensors.map((t) => [t, { min: Infinity, max: -Infinity, kept: [] }]));
  try {
    for (const f of feeds) {
      const r = await session.run(f, tensors);
      for (const t of tensors) {
        const v = r[t].data as Float32Array;
        const s = stats.get(t)!;
        for (let i = 0; i < v.length; i++) {
          if (v[i] < s.min) s.min = v[i];
          if (v[i] > s.max) s.max = v[i];
        }
        const stride = Math.max(1, Math.ceil(v.length / keptPerRun));
        s.kept.push(Float32Array.from({ length: Math.ceil(v.length / stride) }, (_, i) => v[i * stride]));
      }
    }
  } finally {
    await session.release();
  }
  return stats;
}

/** The range calibration sets from a tensor's statistics. */
export function rangeOf(s: TensorStatistics, method: CalibrationMethod, percentile: number): Range {
  if (method === 'minmax') return [s.min, s.max];
  const all = new Float32Array(s.kept.reduce((n, k) => n + k.length, 0));
  let at = 0;
  for (const k of s.kept) {
    all.set(k, at);
    at += k.length;
  }
  all.sort();
  const quantile = (q: number) => all[Math.min(all.length - 1, Math.max(0, Math.round(q * (all.length - 1))))];
  return [quantile(1 - percentile), quantile(percentile)];
}
