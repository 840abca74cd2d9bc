// ONNX bytes decoded in memory with onnx-proto (plain JavaScript, no node: modules: it runs in browsers
// too): the model, its metadata, and the dims of its values.
import onnxProto from 'onnx-proto';
import { modelError } from './errors.js';

export interface DecodedOnnx {
  model: onnxProto.onnx.ModelProto;
  metadata: Record<string, string>;
}

/** `name` is the file (or what the bytes are) for messages. */
export function decodeOnnx(bytes: Uint8Array, name: string): DecodedOnnx {
  let model: onnxProto.onnx.ModelProto;
  try {
    // as a plain Uint8Array: protobufjs bundled for the browser finds no Buffer class, and would make
    // empty fields of a Node Buffer given here with the deprecated Buffer constructor
    model = onnxProto.onnx.ModelProto.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw modelError(`'${name}' is not an ONNX model: ${(e as Error).message}`);
  }
  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';
  return { model, metadata };
}

/** A value's dims: numbers, or names where symbolic. */
export function dimsOf(v: onnxProto.onnx.IValueInfoProto): (number | string)[] {
  return (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
}

/** The graph's inputs that are not initializers (what a caller feeds), and its outputs. */
export function graphValues(model: onnxProto.onnx.IModelProto): { inputs: onnxProto.onnx.IValueInfoProto[]; outputs: onnxProto.onnx.IValueInfoProto[] } {
  const initNames = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  return { inputs: (model.graph?.input ?? []).filter((i) => !initNames.has(i.name)), outputs: model.graph?.output ?? [] };
}
