// make bench: divsyn's pix2pix inference next to the PyTorch reference, in one run (the train step is
// train-torch.ts; this machine is shared and noisy: only side-by-side ratios mean anything). Prints
// figures; never fails on time.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { initParams } from '../graph/index.js';
import { generatorParams } from '../graph/programs/index.js';
import { writeGenerator } from '../runtime/model-file.js';
import { cmpFacades } from '../common/palettes.js';
import fs from 'node:fs';
import os from 'node:os';
import { fixtureLayout } from '../fixtures/facades.js';
import { indicesToColors, writePng } from '../common/image.js';
import { CLASSES, THREADS, fmt, inference, reference, root, spec, torch } from './workload.js';

/** `divsyn sample` end to end: colour layout PNGs read, images generated, PNG files written. */
async function sampleEndToEnd(size: number, width: number, batch: number, layouts: number, count: number): Promise<number | undefined> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'divsyn-bench-'));
  const s = { ...spec(size, width), classes: cmpFacades() };
  const model = path.join(dir, 'g.onnx');
  writeGenerator(model, s, initParams(generatorParams(s), 0));
  const layoutDir = path.join(dir, 'layouts');
  fs.mkdirSync(layoutDir);
  for (let i = 0; i < layouts; i++) {
    const rgb = indicesToColors(fixtureLayout('test', i, size), s.classes);
    await writePng(path.join(layoutDir, `l${i}.png`), { data: rgb, width: size, height: size, channels: 3 });
  }
  const r = spawnSync(
    path.join(root, 'bin', 'divsyn'),
    ['sample', '--model', model, '--layouts', layoutDir, '--count', String(count), '--batch', String(batch), '--threads', String(THREADS), '--out', path.join(dir, 'out')],
    { encoding: 'utf8' },
  );
  fs.rmSync(dir, { recursive: true, force: true });
  const m = /\(([\d.]+) img\/s/.exec(r.stderr);
  if (r.status !== 0 || !m) {
    console.log(`  (divsyn sample failed: ${r.stderr.trim().split('\n').pop()})`);
    return undefined;
  }
  return Number(m[1]);
}

async function main() {
  console.log(`divsyn bench: ${THREADS} threads, ${CLASSES} classes, PyTorch reference ${reference}`);
  const ours = await inference(256, 64, 8, 32);
  const ref = torch(['--size', '256', '--ngf', '64', '--mode', 'sample', '--images', '32', '--batch', '8']);
  const line = `inference 256x256 width 64 batch 8: divsyn ${fmt(ours, 2)} img/s`;
  console.log(ref ? `${line}, PyTorch ${fmt(ref.images_per_s, 2)} img/s, ratio ${fmt(ours / ref.images_per_s, 2)}x (target >= 1.3x)` : line);
  const e2e = await sampleEndToEnd(256, 64, 8, 8, 8);
  if (e2e !== undefined) {
    const l2 = `divsyn sample end to end 256x256 width 64 batch 8 (64 images: layouts read, PNGs written): ${fmt(e2e, 2)} img/s`;
    console.log(ref ? `${l2}, ratio to PyTorch's compute-only ${fmt(e2e / ref.images_per_s, 2)}x (target >= 1.1x)` : l2);
  }
}

await main();
