// A feature network file (--features) checked before any work: an ONNX model whose first input takes
// float32 images [N, 3, H, W], with its weights inside the file. Every error is one line naming the file
// and what it is instead (a divsyn generator, a training program, a model of other inputs).
import onnxProto from 'onnx-proto';
import { modelError } from '../common/errors.js';
import { MAX_SIDE } from '../graph/families/index.js';
import { MODEL_KINDS, ModelKind } from '../graph/spec.js';
import { describeInterface, dimsOf, externalDataProblem, graphInterface, readOnnxFile, trainingFileKind } from './onnx-file.js';

const FLOAT = 1;

export function readFeatureNetwork(file: string): { bytes: Uint8Array; model: onnxProto.onnx.ModelProto } {
  const { bytes, model, metadata } = readOnnxFile(file, 'feature network');
  const training = trainingFileKind(model);
  if (training) throw modelError(`'${file}' is ${training}, not a feature network taking images`);
  const kind = metadata['divsyn.model'];
  if (MODEL_KINDS.includes(kind as ModelKind)) throw modelError(`'${file}' is a divsyn ${kind} generator (it takes layouts), not a feature network taking images`);
  const external = externalDataProblem(model);
  if (external) throw modelError(`feature network '${file}' ${external}`);
  const [first] = graphInterface(model).inputs;
  const shape = first ? dimsOf(first) : [];
  const side = (d: number | string) => typeof d !== 'number' || (d >= 1 && d <= MAX_SIDE);
  const images = first && first.type?.tensorType?.elemType === FLOAT && shape.length === 4 && (typeof shape[1] !== 'number' || shape[1] === 3) && side(shape[2]) && side(shape[3]);
  if (!images) throw modelError(`feature network '${file}' does not take float32 images [N, 3, H, W] (sides up to ${MAX_SIDE}) as its first input: it has ${describeInterface(model)}`);
  return { bytes, model };
}
