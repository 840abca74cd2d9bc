// divsyn/web: a generator's description from its bytes, layouts and noise in memory, and sampling
// through onnxruntime-web (or any onnxruntime the caller passes). Browser-safe: no node: modules, no
// onnxruntime-node, no sharp (.dependency-cruiser.cjs checks the imports, test/web.test.ts a browser bundle).
export { UserError, dataError, modelError, outputError, stateError, usageError } from '../common/errors.js';
export type { ErrorKind } from '../common/errors.js';
export { readGeneratorInfo, specOf } from '../common/generator-info.js';
export type { Architecture, GeneratorInfo, TrainingRecord } from '../common/generator-info.js';
export { FORMAT_VERSION } from '../graph/interface.js';
export type { TensorDescription } from '../graph/interface.js';
export type { ClassInfo, ConditionSpec, GeneratorSpec, InputKind, ModelKind } from '../graph/spec.js';
export { interpolateCode, interpolateCodes, newCodes, noiseAt, packVariations, sampleNoise, unpackVariations, variationScheme } from '../common/variation.js';
export type { CodeChoice, VariationScheme } from '../common/variation.js';
export { layoutFromIndices, layoutFromRgb, toRgba } from './layouts.js';
export type { Layout } from './layouts.js';
export { layoutFromPng } from './label-png.js';
export { conditionFromFile, conditionFromNormalRgb, conditionFromPoints } from './conditions.js';
export { MIRROR_68, conditionPicture, parsePoints, renderHeatMaps } from '../common/conditions.js';
export { createSampler } from './sampler.js';
export type { Ort, OrtSession, OrtTensor, Sampler, SamplerOptions } from './sampler.js';
