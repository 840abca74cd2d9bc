// Static int8 quantisation of a float32 ModelProto in QDQ form (standard QuantizeLinear /
// DequantizeLinear only): each Conv's weight per output channel in s8 (symmetric), its bias in int32 at
// the input scale times the weight's, and the activations at the calibrated tensors in u8 (asymmetric).
// The pairs sit where onnxruntime fuses them into its integer kernels: DQ -> Conv -> Q becomes
// QLinearConv, DQ -> LeakyRelu -> Q QLinearLeakyRelu; the normalisations between them stay float32,
// behind one DQ and before one Q (docs/formats.md, "Precision").
import onnxProto from 'onnx-proto';
import { ELEM, dropUnusedInitializers, makeTensor, nameMaker, tensorValues } from './tensors.js';

type NodeProto = onnxProto.onnx.INodeProto;

/** Least and greatest value of a tensor, as calibration saw it. */
export type Range = [number, number];

/** Activations that fuse with a quantised neighbour: their input is quantised where their output is. */
const ELEMENTWISE_ACTIVATIONS = new Set(['LeakyRelu', 'Relu']);

/**
 * The activations that get a Q/DQ pair, in graph order: each Conv's input and output, and the input of a
 * LeakyRelu or Relu whose output a Conv reads. Calibration measures exactly these.
 */
export function quantisedActivations(model: onnxProto.onnx.IModelProto): string[] {
  const nodes = model.graph!.node ?? [];
  const inits = new Set((model.graph!.initializer ?? []).map((t) => t.name));
  const chosen = new Set<string>();
  for (const n of nodes) if (n.opType === 'Conv' && inits.has(n.input![1])) [n.input![0], n.output![0]].forEach((t) => chosen.add(t));
  for (const n of nodes) if (ELEMENTWISE_ACTIVATIONS.has(n.opType ?? '') && chosen.has(n.output![0])) chosen.add(n.input![0]);
  const order: string[] = [];
  const seen = (t: string) => chosen.has(t) && !order.includes(t) && order.push(t);
  for (const i of model.graph!.input ?? []) seen(i.name ?? '');
  for (const n of nodes) (n.output ?? []).forEach(seen);
  return order;
}

/** u8 scale and zero point of a range widened to hold 0 (so that 0, a padding value, is exact). */
export function activationParams([lo, hi]: Range): { scale: number; zeroPoint: number } {
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

/** Symmetric s8 per output channel of w [Cout, ...]: the values and each channel's scale. */
export function quantiseWeight(w: Float32Array, channels: number): { q: Int8Array; scales: Float32Array } {
  const per = w.length / channels;
  const q = new Int8Array(w.length);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let i = c * per; i < (c + 1) * per; i++) m = Math.max(m, Math.abs(w[i]));
    const s = m > 0 ? m / 127 : 1;
    scales[c] = s;
    for (let i = c * per; i < (c + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i] / s)));
  }
  return { q, scales };
}

/**
 * The model rewritten in QDQ form (in place; also returned): `ranges` holds a range for each name of
 * quantisedActivations(model).
 */
export function quantiseModel(model: onnxProto.onnx.IModelProto, ranges: ReadonlyMap<string, Range>): onnxProto.onnx.IModelProto {
  const g = model.graph!;
  const fresh = nameMaker(model);
  const nodes = g.node ?? [];
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const added: onnxProto.onnx.ITensorProto[] = [];
  const scalar = (hint: string, data: Float32Array | Uint8Array, type: number) => {
    const name = fresh(hint);
    added.push(makeTensor(name, data, [], type));
    return name;
  };
  const activation = new Map<string, { scale: number; zeroPoint: number; scaleName: string; zeroName: string; dq: string }>();
  for (const t of quantisedActivations(model)) {
    const r = ranges.get(t);
    if (!r) throw new Error(`no calibrated range for '${t}'`);
    const p = activationParams(r);
    activation.set(t, { ...p, scaleName: scalar(`${t}_scale`, Float32Array.of(p.scale), ELEM.float), zeroName: scalar(`${t}_zero`, Uint8Array.of(p.zeroPoint), ELEM.uint8), dq: fresh(`${t}_dq`) });
  }
  const out: NodeProto[] = [];
  const pairOf = (t: string): NodeProto[] => {
    const a = activation.get(t)!;
    const q = fresh(`${t}_q`);
    return [
      { opType: 'QuantizeLinear', input: [t, a.scaleName, a.zeroName], output: [q], name: fresh('QuantizeLinear') },
      { opType: 'DequantizeLinear', input: [q, a.scaleName, a.zeroName], output: [a.dq], name: fresh('DequantizeLinear') },
    ];
  };
  for (const i of g.input ?? []) if (activation.has(i.name ?? '')) out.push(...pairOf(i.name!));
  for (const n of nodes) {
    if (n.opType === 'Conv' && activation.has(n.input![0]) && inits.has(n.input![1])) out.push(...weightNodes(n));
    out.push(n);
    for (const o of n.output ?? []) if (activation.has(o)) out.push(...pairOf(o));
  }
  // every reader of a quantised activation reads its DequantizeLinear, except the QuantizeLinear itself
  for (const n of out) {
    if (n.opType === 'QuantizeLinear' && activation.has(n.input![0])) continue;
    n.input = (n.input ?? []).map((i) => activation.get(i)?.dq ?? i);
  }
  g.node = out;
  g.initializer = [...(g.initializer ?? []), ...added];
  dropUnusedInitializers(model);
  return model;

  /** The weight's (and bias's) DequantizeLinear, Conv n rewired to read them. */
  function weightNodes(n: NodeProto): NodeProto[] {
    const w = inits.get(n.input![1])!;
    const dims = (w.dims ?? []).map(Number);
    const { q, scales } = quantiseWeight(tensorValues(w) as Float32Array, dims[0]);
    const wq = fresh(`${w.name}_q`);
    const wScale = fresh(`${w.name}_scale`);
    const wZero = fresh(`${w.name}_zero`);
    added.push(makeTensor(wq, q, dims, ELEM.int8), makeTensor(wScale, scales, [dims[0]], ELEM.float), makeTensor(wZero, new Int8Array(dims[0]), [dims[0]], ELEM.int8));
    const wdq = fresh(`${w.name}_dq`);
    const axis0 = [{ name: 'axis', type: onnxProto.onnx.AttributeProto.AttributeType.INT, i: 0 }];
    const made: NodeProto[] = [{ opType: 'DequantizeLinear', input: [wq, wScale, wZero], output: [wdq], name: fresh('DequantizeLinear'), attribute: axis0 }];
    n.input![1] = wdq;
    const biasName = n.input![2];
    if (biasName && inits.has(biasName)) {
      const b = tensorValues(inits.get(biasName)!) as Float32Array;
      const xScale = activation.get(n.input![0])!.scale;
      const bScales = scales.map((s) => s * xScale);
      const bq = Int32Array.from(b, (v, c) => Math.round(v / bScales[c]));
      const bqName = fresh(`${biasName}_q`);
      const bScale = fresh(`${biasName}_scale`);
      const bZero = fresh(`${biasName}_zero`);
      added.push(makeTensor(bqName, bq, [b.length], ELEM.int32), makeTensor(bScale, bScales, [b.length], ELEM.float), makeTensor(bZero, new Int32Array(b.length), [b.length], ELEM.int32));
      const bdq = fresh(`${biasName}_dq`);
      made.push({ opType: 'DequantizeLinear', input: [bqName, bScale, bZero], output: [bdq], name: fresh('DequantizeLinear'), attribute: axis0 });
      n.input![2] = bdq;
    }
    return made;
  }
}
