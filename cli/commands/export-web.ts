// divsyn export-web: the knob studio as a static folder (api/studio.ts).
import path from 'node:path';
import { exportStudio, studioSite } from '../../api/studio.js';
import { checkOutputDir } from '../../common/output-paths.js';
import { defineCommand } from '../command.js';
import { forceOption, plural } from '../../api/common.js';
import { need, str } from '../../api/options.js';
import { studioOptions } from './studio.js';

export const exportWebCommand = defineCommand({
  name: 'export-web',
  summary: 'Write the knob studio as a static site: page, model, layouts and onnxruntime-web WASM files, for any static host.',
  options: { ...studioOptions, out: str({ help: 'output folder', meta: 'SITE' }), ...forceOption('write into a non-empty SITE') },
  required: ['model', 'out'],
  async run({ values: o }) {
    const out = need(o, 'out');
    checkOutputDir(out);
    const site = await studioSite({ model: need(o, 'model'), layouts: o.layouts });
    const r = exportStudio(site, out, o.force);
    console.log(
      `wrote ${plural(r.files, 'file')} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${plural(site.layouts, 'layout')}) to ${path.resolve(out)}: serve it from any static host and open index.html there`,
    );
  },
});
