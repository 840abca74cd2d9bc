// RUN/preview.png: the generator on a few test layouts, rows of [layout, G(l, 0), two random samples]
// (crn-multi: its first three images).
import { GeneratorSpec } from '../graph/spec.js';
import { variationInputs } from '../graph/families/index.js';
import { variationScheme } from '../train/sampling.js';
import { generatorBytes } from '../runtime/model-file.js';
import { openGenerator } from '../runtime/generator-runner.js';
import { RgbImage, chwToRgb, tile, writePng } from '../runtime/png.js';

export function layoutToRgb(onehot: Float32Array, spec: GeneratorSpec): RgbImage {
  const hw = spec.height * spec.width;
  const data = new Uint8Array(hw * 3);
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < spec.classes.length; c++) {
      if (onehot[c * hw + p] > 0.5) {
        data.set(spec.classes[c].color, p * 3);
        break;
      }
    }
  }
  return { data, width: spec.width, height: spec.height };
}

export async function renderPreview(file: string, spec: GeneratorSpec, params: Map<string, Float32Array>, items: { layout: Float32Array }[]): Promise<void> {
  const c = spec.classes.length;
  const variation = variationInputs(spec);
  const scheme = variationScheme(spec);
  const g = await openGenerator(generatorBytes(spec, params), { classes: c, height: spec.height, width: spec.width, variation }, { threads: 1 });
  try {
    const cells: RgbImage[] = [];
    for (const [i, it] of items.entries()) {
      const vs = [scheme.zero(), scheme.draw(0, `preview${i}`, 1), scheme.draw(0, `preview${i}`, 2)];
      const noise = new Float32Array(vs.length * vs[0].length);
      vs.forEach((v, k) => noise.set(v, k * v.length));
      const layouts = new Float32Array(3 * it.layout.length);
      for (let k = 0; k < 3; k++) layouts.set(it.layout, k * it.layout.length);
      const imgs = await g.generate(layouts, noise, 3);
      cells.push(layoutToRgb(it.layout, spec));
      for (let k = 0; k < 3; k++) cells.push(chwToRgb(imgs, spec.height, spec.width, k * 3 * spec.height * spec.width));
    }
    await writePng(file, tile(cells, 4));
  } finally {
    await g.release();
  }
}
