// The graph builder's public surface: tensors, ops, autodiff, optimizers, emission.
export * from './tensor.js';
export * from './shapes.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/shape.js';
export * from './ops/conv.js';
export * from './ops/matmul.js';
export * from './ops/pool.js';
export * from './ops/resize.js';
export * from './ops/norm.js';
export * from './ops/softmax.js';
export { gradients } from './autodiff.js';
export { emitModel, OPSET, IR_VERSION } from './emit.js';
export type { EmitOptions } from './emit.js';
export { initParams, initialValue } from './init.js';
export { Rng, hashString } from './random.js';
export { adam, sgd } from './optim.js';
export type { Optimizer, AdamOptions, SgdOptions } from './optim.js';
