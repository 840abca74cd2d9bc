// divsyn init: an untrained generator, in the same file format as a trained one.
import fs from 'node:fs';
import path from 'node:path';
import { initParams } from '../../graph/index.js';
import { generatorParams } from '../../graph/programs/index.js';
import { UserError } from '../../common/errors.js';
import { writeGenerator } from '../../runtime/model-file.js';
import { required } from '../args.js';
import { Command } from '../command.js';
import { archOptions, classOptions, generatorSpec, modelOption, seedOption } from '../common.js';

export const initCommand: Command = {
  name: 'init',
  usage: 'divsyn init --model pix2pix|crn|crn-multi (--classes C | --palette P) --size S [--width W] [--seed N] --out FILE.onnx',
  summary: 'Write an untrained generator as an inference graph (weights as initializers).',
  options: [
    modelOption,
    ...classOptions,
    ...archOptions,
    seedOption,
    { name: 'out', type: 'string', help: 'output file', meta: 'FILE.onnx' },
    { name: 'force', type: 'flag', help: 'overwrite an existing file' },
  ],
  async run(o) {
    const out = required<string>(o, 'out');
    const spec = generatorSpec(o);
    if (fs.existsSync(out) && !o.force) throw new UserError(`'${out}' exists (use --force to overwrite it)`);
    const values = initParams(generatorParams(spec), o.seed as number);
    writeGenerator(out, spec, values, { seed: o.seed, trained: false });
    const count = [...values.values()].reduce((n, v) => n + v.length, 0);
    console.log(`wrote ${path.resolve(out)}: ${spec.model} ${spec.height}x${spec.width}, ${spec.classes.length} classes, ${count.toLocaleString('en')} parameters`);
  },
};
