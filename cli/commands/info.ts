// divsyn info: what a generator file is and how to feed it.
import { readGenerator } from '../../runtime/model-file.js';
import { Command } from '../command.js';

export const infoCommand: Command = {
  name: 'info',
  usage: 'divsyn info FILE.onnx [--json]',
  summary: "Print a generator's kind, size, classes (index, name, colour), inputs and outputs.",
  options: [{ name: 'json', type: 'flag', help: 'print one JSON object instead of text' }],
  positional: { min: 1, max: 1, names: 'one FILE.onnx' },
  async run(o) {
    const f = readGenerator(o._[0]);
    const { spec } = f;
    if (o.json) {
      console.log(JSON.stringify({ model: spec.model, size: `${spec.height}x${spec.width}`, classes: spec.classes, inputs: f.inputs, outputs: f.outputs, metadata: f.metadata }));
      return;
    }
    const lines = [
      `model:   ${spec.model}`,
      `size:    ${spec.height}x${spec.width}`,
      `noise:   ${f.metadata['divsyn.noise'] ?? 'none'}`,
      `version: ${f.metadata['divsyn.version'] ?? '?'}`,
      `classes: ${spec.classes.length}`,
      ...spec.classes.map((c, i) => `  ${String(i).padStart(3)}  ${c.name.padEnd(16)} rgb(${c.color.join(', ')})`),
      'inputs:',
      ...f.inputs.map((v) => `  ${v.name.padEnd(8)} ${v.dtype} [${v.shape.join(', ')}]`),
      'outputs:',
      ...f.outputs.map((v) => `  ${v.name.padEnd(8)} ${v.dtype} [${v.shape.join(', ')}]`),
    ];
    console.log(lines.join('\n'));
  },
};
