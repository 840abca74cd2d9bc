// ONNX tensors and nodes of a decoded ModelProto, read and made in memory: the raw values of an
// initializer, new initializers of the element types the rewrites write, and the graph's uses of a value.
import onnxProto from 'onnx-proto';

type TensorProto = onnxProto.onnx.ITensorProto;
type NodeProto = onnxProto.onnx.INodeProto;

/** ONNX element types (TensorProto.DataType) these rewrites read or write. */
export const ELEM = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10 } as const;

export type Values = Float32Array | BigInt64Array | Int8Array | Uint8Array | Int32Array | Uint16Array;

function rawCopy(t: TensorProto): ArrayBuffer | undefined {
  if (!t.rawData || !t.rawData.length) return undefined;
  return new Uint8Array(t.rawData).buffer;
}

/** An initializer's values (float32 or int64, the types divsyn's graphs hold). */
export function tensorValues(t: TensorProto): Float32Array | BigInt64Array {
  const raw = rawCopy(t);
  if (t.dataType === ELEM.float) return raw ? new Float32Array(raw) : Float32Array.from(t.floatData ?? []);
  if (t.dataType === ELEM.int64) return raw ? new BigInt64Array(raw) : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(v.toString())));
  throw new Error(`initializer '${t.name}' has element type ${t.dataType}, not float32 or int64`);
}

export function dimsOfTensor(t: TensorProto): number[] {
  return (t.dims ?? []).map(Number);
}

/** A new initializer holding `data` as raw bytes. */
export function makeTensor(name: string, data: Values, dims: readonly number[], dataType: number): TensorProto {
  return { name, dims: dims.slice(), dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function elemTypeOf(data: Float32Array | BigInt64Array): number {
  return data instanceof Float32Array ? ELEM.float : ELEM.int64;
}

/** An integer or float attribute's value, or undefined. */
export function attr(node: NodeProto, name: string): onnxProto.onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function intsAttr(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a?.ints ? a.ints.map(Number) : undefined;
}

export function intAttr(node: NodeProto, name: string): number | undefined {
  const a = attr(node, name);
  return a?.i === undefined || a.i === null ? undefined : Number(a.i);
}

/** Names made unique within one model: each a prefix and a counter not yet used by any value. */
export function nameMaker(model: onnxProto.onnx.IModelProto): (hint: string) => string {
  const used = new Set<string>();
  const g = model.graph!;
  for (const t of g.initializer ?? []) used.add(t.name ?? '');
  for (const v of [...(g.input ?? []), ...(g.output ?? [])]) used.add(v.name ?? '');
  for (const n of g.node ?? []) for (const o of [...(n.output ?? []), ...(n.input ?? []), n.name ?? '']) used.add(o);
  let counter = 0;
  return (hint) => {
    let name = `${hint}_${counter++}`;
    while (used.has(name)) name = `${hint}_${counter++}`;
    used.add(name);
    return name;
  };
}

/** Drops initializers no node or graph output reads. */
export function dropUnusedInitializers(model: onnxProto.onnx.IModelProto): void {
  const g = model.graph!;
  const read = new Set<string>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) read.add(i);
  for (const o of g.output ?? []) read.add(o.name ?? '');
  g.initializer = (g.initializer ?? []).filter((t) => read.has(t.name ?? ''));
}

/** A metadata value set (or added) in place. */
export function setMetadata(model: onnxProto.onnx.IModelProto, key: string, value: string): void {
  const props = (model.metadataProps ??= []);
  const p = props.find((m) => m.key === key);
  if (p) p.value = value;
  else props.push({ key, value });
}
