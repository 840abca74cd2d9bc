// Reading an ONNX file that divsyn or a user wrote: bytes, decoded model and metadata, with errors that
// name the file.
import fs from 'node:fs';
import onnxProto from 'onnx-proto';
import { UserError } from '../common/errors.js';

const { onnx } = onnxProto;

export interface OnnxFile {
  bytes: Uint8Array;
  model: onnxProto.onnx.ModelProto;
  metadata: Record<string, string>;
}

/** `what` names the kind of file in messages ("model file", "segmenter file"). */
export function readOnnxFile(file: string, what: string): OnnxFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`${what} '${file}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`'${file}' is not an ONNX model: ${(e as Error).message}`);
  }
  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';
  return { bytes, model, metadata };
}

/** A value's dims: numbers, or names where symbolic. */
export function dimsOf(v: onnxProto.onnx.IValueInfoProto): (number | string)[] {
  return (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
}
