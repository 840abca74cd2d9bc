// divsyn for Node (`import … from 'divsyn'`): what the web entry has (divsyn/web: a generator's
// description from its bytes, layouts and noise in memory, sampling through a given onnxruntime), plus
// sampling on onnxruntime-node from a file, label map files, palettes and PNG images.
export * from './web/index.js';
export { openSampler } from './runtime/open-sampler.js';
export type { EpChoice, SessionOptions } from './runtime/session.js';
export { readLabelMap, writeIndexPng } from './train/labels.js';
export { cityscapes, cmpFacades, loadPalette } from './common/palettes.js';
export { chwToRgb, encodePng, labelledGrid, readRgb, writePng } from './common/image.js';
export type { Image8, RgbImage } from './common/image.js';
