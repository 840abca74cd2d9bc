// RUN/preview.png: the generator on a few test layouts (or conditions), rows of [layout, G(l, 0), two random samples]
// (crn-multi: its first three images).
import { GeneratorSpec } from '../graph/spec.js';
import { packVariations, variationScheme } from '../common/variation.js';
import { generatorBytes } from '../runtime/model-file.js';
import { openSampler } from '../runtime/open-sampler.js';
import { GridRow, conditionToRgb, sampleGrid, writePng } from '../common/image.js';

export async function renderPreview(file: string, spec: GeneratorSpec, params: Map<string, Float32Array>, items: { layout: Float32Array }[]): Promise<void> {
  const scheme = variationScheme(spec);
  // It runs beside the train step's session: one image a run, each intermediate returned as it is freed,
  // so it adds one image's largest activations to the process and not a planned block for a batch of
  // three (docs/design.md#memory).
  const g = await openSampler(generatorBytes(spec, params), { threads: 1, batch: 1, memPattern: false, cpuArena: false });
  try {
    const rows: GridRow[] = [];
    for (const [i, it] of items.entries()) {
      const noise = packVariations([scheme.zero(), scheme.draw(0, `preview${i}`, 1), scheme.draw(0, `preview${i}`, 2)]);
      const layouts = new Float32Array(3 * it.layout.length);
      for (let k = 0; k < 3; k++) layouts.set(it.layout, k * it.layout.length);
      rows.push({ lead: [conditionToRgb(it.layout, spec)], images: await g.generatePacked(layouts, noise, 3) });
    }
    await writePng(file, sampleGrid(rows, spec.height, spec.width, ['layout', 'zero', 'k=1', 'k=2']));
  } finally {
    await g.release();
  }
}
