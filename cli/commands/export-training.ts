// divsyn export-training: flags into api/export-training.ts's exportTraining(); prints the files written.
import { exportTraining, exportTrainingOptions } from '../../api/export-training.js';
import { defineCommand } from '../command.js';

export const exportTrainingCommand = defineCommand({
  name: 'export-training',
  summary: 'Write forward_loss.onnx, gradients.onnx, train_step.onnx, init.onnx and manifest.json: the training program as plain ONNX.',
  options: exportTrainingOptions,
  required: ['model', 'size', 'out'],
  notes: ['train_step ramps β in over --beta-ramp steps of its step input (default 0: off).'],
  async run(parsed) {
    for (const f of await exportTraining(parsed)) console.log(f);
  },
});
