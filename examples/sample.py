#!/usr/bin/env python3
"""Read a divsyn generator's metadata with `onnx` and sample it with onnxruntime, in Python.

    python3 sample.py MODEL.onnx --info
    python3 sample.py MODEL.onnx --layout LAYOUT.png [--count 4] [--seed 0] [--out grid.png]
    python3 sample.py MODEL.onnx --layout LAYOUT.png --dry-run

--info prints the file's description as JSON: what `divsyn info --json` prints, less `architecture`.
Sampling feeds the layout (a colour label map in the model's palette, or an index PNG of class indices
or of the palette's label ids) and, for each sample, every other input as its metadata describes it
(divsyn.inputs): `uniform` inputs drawn uniformly in their range (numpy's generator, so the samples are
not the ones `divsyn sample` draws), `one-hot` inputs choosing entry k mod n for sample k. The images
(RGB in [0, 1]) are written side by side. --dry-run builds the inputs and prints their shapes and ranges
without running the model (and the pixels of each class in the layout).

Needs numpy and onnx (Debian: python3-numpy python3-onnx), Pillow for layouts and images
(python3-pil), and for sampling onnxruntime (pip install onnxruntime).
"""
import argparse
import json
import sys

import numpy as np
import onnx

FORMAT_VERSION = 1


def describe(model_file):
    """The generator's description from its metadata (docs/formats.md, "Generator file")."""
    model = onnx.load(model_file)
    meta = {p.key: p.value for p in model.metadata_props}
    if meta.get('divsyn.model') not in ('pix2pix', 'crn', 'crn-multi', 'latent'):
        sys.exit(f"{model_file}: not a divsyn generator (divsyn.model is {meta.get('divsyn.model')!r})")
    fmt = int(meta.get('divsyn.format', '0'))
    if fmt < 1:
        sys.exit(f'{model_file}: written before divsyn.format 1, so it does not describe its inputs; `divsyn info --json` does')
    if fmt > FORMAT_VERSION:
        sys.exit(f'{model_file}: file format {fmt} is newer than this script reads ({FORMAT_VERSION})')
    height, width = (int(v) for v in meta['divsyn.size'].split('x'))
    options = meta.get('divsyn.options')
    return {
        'format': fmt,
        'kind': meta['divsyn.model'],
        'height': height,
        'width': width,
        'classes': json.loads(meta['divsyn.classes']),
        'inputs': json.loads(meta['divsyn.inputs']),
        'outputs': json.loads(meta['divsyn.outputs']),
        'precision': meta['divsyn.precision'],
        'version': meta.get('divsyn.version'),
        'training': None if options is None else json.loads(options),
    }


def read_layout(file, info):
    """Class index per pixel [H, W]: an index PNG's values (through the palette's ids where it has them), else nearest palette colour."""
    from PIL import Image

    image = Image.open(file)
    if (image.width, image.height) != (info['width'], info['height']):
        sys.exit(f"{file}: {image.width}x{image.height}, the model takes {info['width']}x{info['height']} (width x height)")
    classes = info['classes']
    if image.mode in ('L', 'LA', 'I', 'I;16'):
        values = np.asarray(image.getchannel(0) if image.mode == 'LA' else image).astype(np.int64)
        with_ids = any(c.get('ids') for c in classes)
        lookup = {i: k for k, c in enumerate(classes) for i in c.get('ids', [])} if with_ids else {k: k for k in range(len(classes))}
        unknown = sorted(set(np.unique(values).tolist()) - set(lookup))
        if unknown:
            sys.exit(f'{file}: value {unknown[0]} is not a class of the palette')
        return np.vectorize(lookup.get)(values)
    rgb = np.asarray(image.convert('RGB')).astype(np.int64)
    palette = np.array([c['color'] for c in classes], dtype=np.int64)
    distances = ((rgb[:, :, None, :] - palette[None, None, :, :]) ** 2).sum(-1)
    return distances.argmin(-1)


def build_feeds(info, indices, count, seed):
    """The model's inputs for `count` samples of one layout, each built as its description says."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for tensor in info['inputs']:
        dims = [count if d == 'N' else d for d in tensor['shape']]
        if tensor['kind'] == 'labels':
            onehot = (indices[None, :, :] == np.arange(dims[1])[:, None, None]).astype(np.float32)
            feeds[tensor['name']] = np.broadcast_to(onehot, dims).copy()
        elif tensor['values'] == 'uniform':
            low, high = tensor['range']
            feeds[tensor['name']] = rng.uniform(low, high, size=dims).astype(np.float32)
        elif tensor['values'] == 'one-hot':
            feeds[tensor['name']] = np.eye(dims[1], dtype=np.float32)[np.arange(count) % dims[1]]
        else:
            sys.exit(f"input {tensor['name']}: values {tensor['values']!r} are not ones this script feeds")
    return feeds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('model')
    parser.add_argument('--info', action='store_true', help="print the file's description as JSON")
    parser.add_argument('--layout', help='a label map: colour PNG in the palette, or an index PNG')
    parser.add_argument('--count', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default='grid.png')
    parser.add_argument('--dry-run', action='store_true', help="build the inputs, print their shapes and ranges, run nothing")
    args = parser.parse_args()

    info = describe(args.model)
    if args.info:
        print(json.dumps(info))
        return
    if not args.layout:
        parser.error('sampling needs --layout (or give --info)')
    feeds = build_feeds(info, read_layout(args.layout, info), args.count, args.seed)
    if args.dry_run:
        shown = {name: {'shape': list(v.shape), 'min': float(v.min()), 'max': float(v.max())} for name, v in feeds.items()}
        layout = next(t['name'] for t in info['inputs'] if t['kind'] == 'labels')
        shown[layout]['class_pixels'] = feeds[layout][0].sum(axis=(1, 2)).astype(int).tolist()
        print(json.dumps(shown))
        return

    try:
        import onnxruntime
    except ImportError:
        sys.exit('sampling needs onnxruntime (pip install onnxruntime); --info and --dry-run do not')
    from PIL import Image

    session = onnxruntime.InferenceSession(args.model, providers=['CPUExecutionProvider'])
    (images,) = session.run([info['outputs'][0]['name']], feeds)
    strip = np.concatenate(list(images.transpose(0, 2, 3, 1)), axis=1)  # [N, 3, H, W] -> H x (N * W) x RGB
    Image.fromarray(np.round(np.clip(strip, 0, 1) * 255).astype(np.uint8)).save(args.out)
    print(f"wrote {args.out}: {args.count} samples of {info['kind']} {info['height']}x{info['width']}")


if __name__ == '__main__':
    main()
