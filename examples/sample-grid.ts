// Samples one layout into a numbered grid through divsyn's package exports (`import … from 'divsyn'`):
//
//   node dist/examples/sample-grid.js MODEL.onnx LAYOUT.png OUT.png [COUNT] [SEED]
//
// LAYOUT is a label map in the model's palette (a colour PNG/JPG, or an index PNG). The grid holds COUNT
// samples (default 8) in rows of 4, each row numbered by its first sample and each column by its offset;
// sample k is drawn from (SEED, the layout's file stem, k), so it is the image that
// `divsyn sample --seed SEED --count COUNT` makes for k, and the line printed for it is its samples.jsonl
// record (the noise by class name, the code).
import { labelledGrid, openGenerator, writePng } from 'divsyn';

const [model, layoutFile, out, countText = '8', seedText = '0'] = process.argv.slice(2);
if (!model || !layoutFile || !out) {
  console.error('usage: node sample-grid.js MODEL.onnx LAYOUT.png OUT.png [COUNT] [SEED]');
  process.exit(2);
}

const generator = await openGenerator(model);
try {
  const layout = await generator.layout(layoutFile);
  if (layout.warning) console.error(`warning: ${layout.warning}`);
  const samples = await generator.sample(layout, { count: Number(countText), seed: Number(seedText) });
  await writePng(
    out,
    labelledGrid(
      samples.map((s) => s.image),
      4,
    ),
  );
  for (const s of samples) console.log(JSON.stringify(s.record));
  console.log(`wrote ${out}: ${samples.length} samples of ${generator.kind} ${generator.height}x${generator.width}`);
} finally {
  await generator.release();
}
