// Reading an ONNX file that divsyn or a user wrote: bytes, decoded model and metadata, with errors that
// name the file.
import fs from 'node:fs';
import onnxProto from 'onnx-proto';
import { UserError } from '../common/errors.js';
import { decodeOnnx } from '../common/onnx-model.js';

export { dimsOf } from '../common/onnx-model.js';

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
  return { bytes, ...decodeOnnx(bytes, file) };
}
