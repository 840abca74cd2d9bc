// divsyn for Node (`import … from 'divsyn'`): what the web entry has (divsyn/web: a generator's
// description from its bytes, layouts and noise in memory, sampling through a given onnxruntime), plus the
// library's operations on onnxruntime-node: a generator opened for sampling, train, sample, evaluate and
// exportTraining (each taking the options of its `divsyn` command as an object), palettes and PNG images.
export * from './web/index.js';
export { openGenerator } from './api/generator.js';
export type { ConditionSource, Generator, GeneratorOptions, LayoutSource, Sample, SampleRecord } from './api/generator.js';
export { train } from './api/train.js';
export type { TrainHooks, TrainOptions, TrainResult, TrainStart } from './api/train.js';
export type { StepInfo } from './train/trainer.js';
export { sample } from './api/sample.js';
export type { SampleHooks, SampleOptions, SampleResult } from './api/sample.js';
export { evaluate } from './api/evaluate.js';
export type { EvaluateHooks, EvaluateOptions } from './api/evaluate.js';
export type { Report } from './metrics/report.js';
export { exportTraining } from './api/export-training.js';
export type { ExportTrainingOptions } from './api/export-training.js';
export type { EpChoice, SessionOptions } from './runtime/session.js';
export { readLabelMap, writeIndexPng } from './train/labels.js';
export { cityscapes, cmpFacades, loadPalette } from './common/palettes.js';
export { chwToRgb, encodePng, labelledGrid, readRgb, writePng } from './common/image.js';
export type { Image8, RgbImage } from './common/image.js';
