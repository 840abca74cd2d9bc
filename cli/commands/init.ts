// divsyn init: flags into api/init.ts's initGenerator().
import { initGenerator, initOptions } from '../../api/init.js';
import { plural } from '../../api/common.js';
import { defineCommand } from '../command.js';

export const initCommand = defineCommand({
  name: 'init',
  summary: 'Write an untrained generator as an inference graph (weights as initializers).',
  options: initOptions,
  required: ['model', 'size', 'out'],
  async run(parsed) {
    const { file, spec, parameters } = await initGenerator(parsed);
    const input = spec.condition ? `input ${spec.condition.kind} (${plural(spec.condition.channels, 'channel')})` : plural(spec.classes.length, 'class');
    console.log(`wrote ${file}: ${spec.model} ${spec.height}x${spec.width}, ${input}, ${plural(parameters, 'parameter')}`);
  },
});
