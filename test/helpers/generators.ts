// One untrained generator file of every model kind (and latent with noise), 32 px and width 8, written by
// `divsyn init` as a user would: what the reader, web and example tests read.
import path from 'node:path';
import { divsyn } from './cli.js';

export const INIT_CASES: Record<string, string[]> = {
  pix2pix: ['--model', 'pix2pix'],
  crn: ['--model', 'crn'],
  'crn-multi': ['--model', 'crn-multi', '--images', '3'],
  latent: ['--model', 'latent', '--branches', '3', '--split-depth', '1'],
  'latent --with-noise': ['--model', 'latent', '--branches', '3', '--split-depth', '1', '--with-noise'],
};

/** `divsyn init` of every case into dir, CMP Facades' classes, seed 3: the file of each case by name. */
export function initGenerators(dir: string, cases = Object.keys(INIT_CASES)): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of cases) {
    const file = path.join(dir, `${name.replace(/[^a-z0-9]+/g, '-')}.onnx`);
    const r = divsyn('init', ...INIT_CASES[name], '--palette', 'cmp-facades', '--size', '32', '--width', '8', '--seed', '3', '--out', file);
    if (r.status !== 0) throw new Error(`divsyn init ${name}: ${r.stderr}`);
    files[name] = file;
  }
  return files;
}
