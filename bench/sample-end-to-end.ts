// `divsyn sample` end to end, as a user runs it: colour layout PNGs read, images generated, PNG files
// written; the rate is the command's own (timed after session creation).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GeneratorSpec } from '../graph/spec.js';
import { cmpFacades } from '../common/palettes.js';
import { fixtureLayout } from '../fixtures/facades.js';
import { indicesToColors, writePng } from '../common/image.js';
import { writeGenerator } from '../runtime/model-file.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A folder with a generator of this spec (CMP Facades' classes; `values`: its parameters) and `layouts` fixture layout PNGs. */
export async function sampleFolder(spec: GeneratorSpec, values: ReadonlyMap<string, Float32Array>, layouts: number): Promise<{ dir: string; model: string; layouts: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'divsyn-bench-'));
  const s = { ...spec, classes: cmpFacades() };
  const model = path.join(dir, 'g.onnx');
  writeGenerator(model, s, values);
  const layoutDir = path.join(dir, 'layouts');
  fs.mkdirSync(layoutDir);
  for (let i = 0; i < layouts; i++) {
    const rgb = indicesToColors(fixtureLayout('test', i, spec.height), s.classes);
    await writePng(path.join(layoutDir, `l${i}.png`), { data: rgb, width: spec.width, height: spec.height, channels: 3 });
  }
  return { dir, model, layouts: layoutDir };
}

/** `divsyn sample --count count` over the folder's layouts: images per second as the command reports it, or undefined (and why, printed). */
export function sampleRate(folder: { dir: string; model: string; layouts: string }, count: number, batch: number, threads: number, extra: string[] = []): number | undefined {
  const out = path.join(folder.dir, 'out');
  const r = spawnSync(
    path.join(repoRoot, 'bin', 'divsyn'),
    ['sample', '--model', folder.model, '--layouts', folder.layouts, '--count', String(count), '--batch', String(batch), '--threads', String(threads), '--out', out, '--force', ...extra],
    { encoding: 'utf8' },
  );
  fs.rmSync(out, { recursive: true, force: true });
  const m = /\(([\d.]+) img\/s/.exec(r.stderr);
  if (r.status !== 0 || !m) {
    console.log(`  (divsyn sample failed: ${r.stderr.trim().split('\n').pop()})`);
    return undefined;
  }
  return Number(m[1]);
}
