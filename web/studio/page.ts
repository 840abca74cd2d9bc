// The page's elements: built here once, looked up by the controller through the returned record. The
// DOM contract (for tests and users): each class knob is an <input type=range> labelled with the class
// name; the image is a 2D <canvas> (#image); messages go to #message.

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 12px 18px; }
header { display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
h1 { font-size: 20px; margin: 0; }
.muted { color: #666; }
.stage { display: flex; gap: 16px; flex-wrap: wrap; margin: 12px 0; }
figure { margin: 0; }
figcaption { color: #666; font-size: 12px; }
canvas.big { width: 320px; height: auto; image-rendering: pixelated; background: #ddd; border: 1px solid #ccc; }
canvas#layout { cursor: crosshair; touch-action: none; }
.panel { display: grid; grid-template-columns: minmax(280px, 1fr) minmax(280px, 1fr); gap: 12px 24px; }
fieldset { border: 1px solid #ddd; border-radius: 6px; margin: 0; padding: 8px 12px; }
legend { color: #444; font-weight: 600; }
.knob { display: grid; grid-template-columns: 14px 92px 1fr 48px; gap: 6px; align-items: center; }
.swatch { width: 14px; height: 14px; border-radius: 3px; border: 1px solid #0003; }
.knob output, .row output { font-variant-numeric: tabular-nums; text-align: right; }
.row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 4px 0; }
#samples { display: flex; gap: 6px; flex-wrap: wrap; }
#samples button { padding: 0; border: 2px solid transparent; background: none; cursor: pointer; }
#samples button.chosen { border-color: #2a6ee8; }
#samples canvas { width: 72px; height: auto; image-rendering: pixelated; display: block; }
#message { min-height: 1.4em; color: #a31515; margin: 4px 0; }
code#command { display: block; white-space: pre-wrap; word-break: break-all; font-size: 12px; background: #f0f0f0; padding: 6px; }
`;

export interface PageElements {
  title: HTMLElement;
  backend: HTMLElement;
  image: HTMLCanvasElement;
  layout: HTMLCanvasElement;
  message: HTMLElement;
  layoutChoice: HTMLSelectElement;
  upload: HTMLInputElement;
  /** The upload's label (its text says what a model takes), and the brush's row (hidden where nothing is painted). */
  uploadLabel: HTMLLabelElement;
  brush: HTMLElement;
  brushClass: HTMLSelectElement;
  brushSize: HTMLInputElement;
  knobs: HTMLFieldSetElement;
  code: HTMLFieldSetElement;
  seed: HTMLInputElement;
  randomise: HTMLButtonElement;
  zero: HTMLButtonElement;
  sweepClass: HTMLSelectElement;
  sweep: HTMLButtonElement;
  samples: HTMLElement;
  downloadImage: HTMLButtonElement;
  downloadNoise: HTMLButtonElement;
  downloadLayout: HTMLButtonElement;
  command: HTMLElement;
}

/** `el('button', {id: 'x'}, 'text')`: an element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function buildPage(root: HTMLElement, height: number, width: number): PageElements {
  document.head.append(el('style', {}, STYLE));
  const canvas = (id: string, label: string) => el('canvas', { id, class: 'big', width: String(width), height: String(height), 'aria-label': label });
  const button = (id: string, text: string) => el('button', { id, type: 'button' }, text);
  const label = (text: string, control: HTMLElement) => el('label', {}, text, ' ', control);
  const upload = el('input', { id: 'upload', type: 'file', accept: 'image/png' });
  const brushClass = el('select', { id: 'brush-class', 'aria-label': 'brush class' });
  const brushSize = el('input', { id: 'brush-size', type: 'number', min: '1', max: String(Math.max(1, width >> 1)), value: String(Math.max(1, width >> 5)), 'aria-label': 'brush size' });
  const e: PageElements = {
    title: el('span', { class: 'muted', id: 'model' }),
    backend: el('span', { id: 'backend', class: 'muted' }, 'loading onnxruntime-web…'),
    image: canvas('image', 'generated image'),
    layout: canvas('layout', 'layout'),
    message: el('p', { id: 'message', role: 'alert' }),
    layoutChoice: el('select', { id: 'layout-choice', 'aria-label': 'layout' }),
    upload,
    uploadLabel: label('upload PNG', upload),
    brushClass,
    brushSize,
    brush: el('div', { class: 'row' }, label('brush', brushClass), label('size', brushSize)),
    knobs: el('fieldset', { id: 'knobs' }),
    code: el('fieldset', { id: 'code', hidden: '' }),
    seed: el('input', { id: 'seed', type: 'number', min: '0', step: '1', value: '1', 'aria-label': 'seed' }),
    randomise: button('randomise', 'Randomise'),
    zero: button('zero', 'All zero'),
    sweepClass: el('select', { id: 'sweep-class', 'aria-label': 'sweep class' }),
    sweep: button('sweep', 'Sweep'),
    samples: el('div', { id: 'samples' }),
    downloadImage: button('download-image', 'Image PNG'),
    downloadNoise: button('download-noise', 'Noise JSON'),
    downloadLayout: button('download-layout', 'Layout PNG'),
    command: el('code', { id: 'command' }),
  };
  root.append(
    el(
      'main',
      {},
      el('header', {}, el('h1', {}, 'divsyn studio'), e.title, e.backend),
      el('section', { class: 'stage' }, el('figure', {}, e.image, el('figcaption', {}, 'image')), el('figure', {}, e.layout, el('figcaption', {}, 'layout: paint on it with the brush'))),
      e.message,
      el(
        'section',
        { class: 'panel' },
        el('div', {}, el('fieldset', {}, el('legend', {}, 'Layout'), el('div', { class: 'row' }, e.layoutChoice, e.uploadLabel), e.brush), e.knobs, e.code),
        el(
          'div',
          {},
          el('fieldset', {}, el('legend', {}, 'Samples'), el('div', { class: 'row' }, label('seed', e.seed), e.randomise, e.zero), e.samples),
          el('fieldset', {}, el('legend', {}, 'Sweep'), el('div', { class: 'row' }, e.sweepClass, e.sweep)),
          el(
            'fieldset',
            {},
            el('legend', {}, 'Download'),
            el('div', { class: 'row' }, e.downloadImage, e.downloadNoise, e.downloadLayout),
            el('details', {}, el('summary', {}, 'the same image with divsyn sample'), e.command),
          ),
        ),
      ),
    ),
  );
  e.knobs.append(el('legend', {}, 'Noise per class'));
  return e;
}
