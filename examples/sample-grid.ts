// Samples one layout into a numbered grid through divsyn's package exports (`import … from 'divsyn'`):
//
//   node dist/examples/sample-grid.js MODEL.onnx LAYOUT.png OUT.png [COUNT] [SEED]
//
// LAYOUT is a label map of the model's size in its palette (a colour PNG/JPG, or an index PNG). The grid
// holds COUNT samples (default 8) in rows of 4, each row numbered by its first sample and each column by
// its offset; sample k is drawn from (SEED, the layout's file stem, k), so it is the image that
// `divsyn sample --seed SEED --count COUNT` makes for k, and the line printed for it holds the noise or
// code fed, as samples.jsonl does.
import path from 'node:path';
import { chwToRgb, labelledGrid, layoutFromIndices, openSampler, readLabelMap, unpackVariations, writePng } from 'divsyn';

const [model, layoutFile, out, countText = '8', seedText = '0'] = process.argv.slice(2);
if (!model || !layoutFile || !out) {
  console.error('usage: node sample-grid.js MODEL.onnx LAYOUT.png OUT.png [COUNT] [SEED]');
  process.exit(2);
}
const count = Number(countText);
const seed = Number(seedText);

const sampler = await openSampler(model);
try {
  const { info } = sampler;
  const map = await readLabelMap(layoutFile, info.classes);
  if (map.warning) console.error(`warning: ${map.warning}`);
  const layout = layoutFromIndices(info, map.indices, layoutFile);
  const stem = path.basename(layoutFile).replace(/\.(png|jpe?g)$/i, '');
  const { images, variations } = await sampler.sample(layout.onehot, { seed, stem, count });
  const size = 3 * info.height * info.width;
  const grid = labelledGrid(
    variations.map((_, k) => chwToRgb(images, info.height, info.width, k * size)),
    4,
  );
  await writePng(out, grid);
  // each sample's noise by class name and its code, read back from the packed vector by the file's inputs
  const parts = info.inputs.filter((v) => v.kind === 'noise' || v.kind === 'code').map((v) => ({ name: v.name, dim: Number(v.shape[1]) }));
  for (const [k, z] of variations.entries()) {
    const fed = unpackVariations(z, 1, parts).map((p) => [p.name, p.name === 'noise' ? Object.fromEntries(info.classes.map((c, i) => [c.name, p.data[i]])) : Array.from(p.data)]);
    console.log(JSON.stringify({ k, seed, stem, ...Object.fromEntries(fed) }));
  }
  console.log(`wrote ${out}: ${count} samples of ${info.kind} ${info.height}x${info.width}`);
} finally {
  await sampler.release();
}
