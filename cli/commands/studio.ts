// divsyn studio: the knob studio served on 127.0.0.1 until interrupted (api/studio.ts).
import { serveStudio, studioSite } from '../../api/studio.js';
import { defineCommand } from '../command.js';
import { plural } from '../../api/common.js';
import { int, need, str } from '../../api/options.js';

export const studioOptions = {
  model: str({ help: 'generator file', meta: 'FILE.onnx' }),
  layouts: str({ help: 'a label map or a folder of them (default: the fixture test layouts for CMP Facades models, else a few generated ones)', meta: 'PATH' }),
};

export const studioCommand = defineCommand({
  name: 'studio',
  summary: 'Serve the knob studio: a page with one noise slider per class, running the model in the browser (onnxruntime-web).',
  options: { ...studioOptions, port: int({ min: 0, max: 65535, default: 8600, help: 'port on 127.0.0.1 (0: a free one)', meta: 'P' }) },
  required: ['model'],
  async run({ values: o }) {
    const site = await studioSite({ model: need(o, 'model'), layouts: o.layouts });
    const server = await serveStudio(site, { port: o.port });
    console.log(`divsyn studio: ${site.info.kind} ${site.info.height}x${site.info.width}, ${plural(site.layouts, 'layout')}, at ${server.url}`);
    console.error('(Ctrl-C stops it)');
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
});
