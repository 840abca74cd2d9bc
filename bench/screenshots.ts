// make screenshots: the README's pictures of the knob studio. A short seeded training of a 64 px pix2pix
// model on the bundled facades (so that the knobs do something), the page served by `divsyn studio`'s
// server in headless Chromium, then docs/studio.png (the whole page as it opens) and
// docs/studio-knob.png (the same once the facade knob is moved).
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../common/files.js';
import { divsyn, repoRoot } from '../test/helpers/cli.js';
import { inChromium, openStudio, servingStudio, setSlider, settled } from '../test/helpers/studio-page.js';

const VIEWPORT = { width: 1000, height: 800 };
const docs = path.join(repoRoot, 'docs');

await inChromium('divsyn-screenshots-', async (browser, dir) => {
  const run = path.join(dir, 'run');
  const r = divsyn('train', '--model', 'pix2pix', '--data', 'fixture', '--size', '64', '--width', '16', '--steps', '600', '--seed', '1', '--out', run);
  if (r.status !== 0) throw new Error(`divsyn train: ${r.stderr}`);
  await servingStudio(path.join(run, 'generator.onnx'), async (url) => {
    // WASM on every machine, so that the pictures do not depend on a GPU
    const { page, errors } = await openStudio(browser, `${url}?backend=wasm`, { viewport: VIEWPORT });
    if (errors.length) throw new Error(errors.join('; '));
    // a sample of the seed, so that the knobs stand where its noise puts them
    await settled(page, () => page.getByRole('button', { name: 'sample 1', exact: true }).click());
    const whole = path.join(docs, 'studio.png');
    writeFileAtomic(whole, await page.screenshot({ fullPage: true }));
    await setSlider(page, 'facade', -0.9);
    const knob = path.join(docs, 'studio-knob.png');
    writeFileAtomic(knob, await page.screenshot({ fullPage: true }));
    await page.close();
    for (const f of [whole, knob]) console.log(`wrote ${path.relative(repoRoot, f)} (${(fs.statSync(f).size / 1024).toFixed(0)} KB)`);
  });
});
