// Reading an ONNX file that divsyn or a user wrote: bytes, decoded model and metadata, with errors that
// name the file.
import fs from 'node:fs';
import onnxProto from 'onnx-proto';
import { modelError } from '../common/errors.js';
import { decodeOnnx, dimsOf } from '../common/onnx-model.js';

export { dimsOf };

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
    throw modelError(`${what} '${file}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return { bytes, ...decodeOnnx(bytes, file) };
}

/** The graph's inputs that are fed (not initializers), and its outputs. */
export function graphInterface(model: onnxProto.onnx.ModelProto): { inputs: onnxProto.onnx.IValueInfoProto[]; outputs: onnxProto.onnx.IValueInfoProto[] } {
  const graph = model.graph ?? {};
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name));
  return { inputs: (graph.input ?? []).filter((i) => !initNames.has(i.name)), outputs: graph.output ?? [] };
}

/** "inputs layout [N, 3, 32, 32], noise [N, 3]; outputs image [N, 3, 32, 32]" (the first few of each), for messages. */
export function describeInterface(model: onnxProto.onnx.ModelProto, shown = 3): string {
  const { inputs, outputs } = graphInterface(model);
  const list = (vs: onnxProto.onnx.IValueInfoProto[]) =>
    vs.length
      ? vs
          .slice(0, shown)
          .map((v) => `${v.name} [${dimsOf(v).join(', ')}]`)
          .join(', ') + (vs.length > shown ? ` and ${vs.length - shown} more` : '')
      : 'none';
  return `inputs ${list(inputs)}; outputs ${list(outputs)}`;
}

/**
 * What a divsyn training file is (export-training: train_step, forward_loss, gradients take the parameters
 * as inputs; init.onnx has only outputs), or undefined for any other model: such a file given where a
 * generator or a segmenter belongs is named for what it is.
 */
export function trainingFileKind(model: onnxProto.onnx.ModelProto): string | undefined {
  const { inputs, outputs } = graphInterface(model);
  if (inputs.some((i) => /^(param|dparam|buffer)\./.test(i.name ?? ''))) return 'a divsyn training program (from export-training: its parameters are inputs)';
  if (!inputs.length && outputs.some((o) => /^param\./.test(o.name ?? ''))) return "a divsyn training program's initial values (init.onnx from export-training)";
  return undefined;
}

/** A model whose weights live in files beside it (ONNX external data) cannot be read from its one file. */
export function externalDataProblem(model: onnxProto.onnx.ModelProto): string | undefined {
  const external = (model.graph?.initializer ?? []).filter((t) => t.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL);
  if (!external.length) return undefined;
  return `keeps ${external.length} of its weights in external data files: save it as one file (onnx.save(model, path, save_as_external_data=False))`;
}
