// The fp16 rewrite of a float32 ModelProto: every float initializer and every computed value in
// float16, the graph's inputs and outputs still float32 (a Cast at each edge), so callers feed and read
// what they did. Resize's scales stay float32, the one float input ONNX types as float32 alone.
import onnxProto from 'onnx-proto';
import { ELEM, attr, makeTensor, nameMaker, tensorValues } from './tensors.js';

type NodeProto = onnxProto.onnx.INodeProto;

/** Inputs that ONNX requires in float32 whatever the data's type: op -> input positions. */
const FLOAT32_INPUTS: Record<string, number[]> = { Resize: [2] };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits of v, rounded to nearest even (overflow to infinity, subnormals kept). */
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = mant >>> 13;
  const rest = mant & 0x1fff;
  let bits = (e << 10) | half;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) bits++;
  return sign | bits;
}

export function toHalf(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]);
  return out;
}

/** The model rewritten to compute in float16 (in place; also returned). */
export function toFloat16(model: onnxProto.onnx.IModelProto): onnxProto.onnx.IModelProto {
  const g = model.graph!;
  const fresh = nameMaker(model);
  const float32Names = new Set<string>();
  for (const n of g.node ?? []) for (const i of FLOAT32_INPUTS[n.opType ?? ''] ?? []) if (n.input?.[i]) float32Names.add(n.input[i]);
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const converted: onnxProto.onnx.ITensorProto[] = [];
  for (const t of g.initializer ?? []) {
    if (t.dataType !== ELEM.float) {
      converted.push(t);
      continue;
    }
    const name = t.name ?? '';
    if (float32Names.has(name)) converted.push(t);
    if (!float32Names.has(name) || usedAsData(g.node ?? [], name)) converted.push(makeTensor(name, toHalf(tensorValues(t) as Float32Array), t.dims?.map(Number) ?? [], ELEM.float16));
  }
  // a float32 initializer shared with data inputs was kept twice under one name: the float32 copy gets its own name
  const renamed = new Map<string, string>();
  for (const name of float32Names) {
    if (!inits.has(name) || !usedAsData(g.node ?? [], name)) continue;
    const copy = fresh(`${name}_f32`);
    renamed.set(name, copy);
    converted.find((t) => t.name === name && t.dataType === ELEM.float)!.name = copy;
  }
  for (const n of g.node ?? []) {
    for (const i of FLOAT32_INPUTS[n.opType ?? ''] ?? []) if (n.input?.[i] && renamed.has(n.input[i])) n.input[i] = renamed.get(n.input[i])!;
    if (n.opType === 'Cast' && Number(attr(n, 'to')?.i) === ELEM.float) attr(n, 'to')!.i = ELEM.float16;
  }
  g.initializer = converted;
  const edges: NodeProto[] = [];
  const initNames = new Set(converted.map((t) => t.name));
  for (const input of g.input ?? []) {
    if (initNames.has(input.name) || input.type?.tensorType?.elemType !== ELEM.float) continue;
    const half = fresh(`${input.name}_fp16`);
    for (const n of g.node ?? []) n.input = (n.input ?? []).map((i) => (i === input.name ? half : i));
    edges.push({
      opType: 'Cast',
      input: [input.name!],
      output: [half],
      name: fresh('Cast_input'),
      attribute: [{ name: 'to', type: onnxProto.onnx.AttributeProto.AttributeType.INT, i: ELEM.float16 }],
    });
  }
  const tail: NodeProto[] = [];
  for (const output of g.output ?? []) {
    if (output.type?.tensorType?.elemType !== ELEM.float) continue;
    const half = fresh(`${output.name}_fp16`);
    for (const n of g.node ?? []) n.output = (n.output ?? []).map((o) => (o === output.name ? half : o));
    for (const n of g.node ?? []) n.input = (n.input ?? []).map((i) => (i === output.name ? half : i));
    tail.push({ opType: 'Cast', input: [half], output: [output.name!], name: fresh('Cast_output'), attribute: [{ name: 'to', type: onnxProto.onnx.AttributeProto.AttributeType.INT, i: ELEM.float }] });
  }
  g.node = [...edges, ...(g.node ?? []), ...tail];
  g.valueInfo = [];
  return model;
}

/** Whether some node reads `name` at a position that takes the data's type. */
function usedAsData(nodes: NodeProto[], name: string): boolean {
  return nodes.some((n) => (n.input ?? []).some((i, k) => i === name && !(FLOAT32_INPUTS[n.opType ?? ''] ?? []).includes(k)));
}
