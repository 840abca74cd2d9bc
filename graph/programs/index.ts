// The programs built from one model function: the inference graph, the training programs (forward_loss,
// gradients, train_step, latent models' loss matrix) and the segmenter's, with their emission.
export * from './program.js';
export { inferenceProgram, generatorParams } from './inference.js';
export { trainingPrograms, discriminatorGradientsProgram, type TrainingPrograms } from './training.js';
export type { Batch, Forward, GeneratorInputs, Objective } from './batch.js';
export * from './segmenter.js';
