#!/usr/bin/env python3
"""PyTorch side of bench/torch.ts: the reference U-Net (pytorch_pix2pix.py) with divsyn's weights, timed in
eager mode (compute only) and exported with torch.onnx, as a PyTorch user would run it in onnxruntime.

  /usr/bin/python3 torch_export.py REFERENCE.py DIR '{"size": S, "ngf": W, "classes": C, "threads": T,
                                                     "batch": B, "rounds": R}'

Reads DIR/weights.bin (float32, G's parameters back to back in .parameters() order, which is divsyn's
creation order) and DIR/inputs.bin (a layout [B, C, S, S] and noise [B, C]); writes DIR/torch.onnx (inputs
layout and noise, output image = clamp((G(x) + 1) / 2, 0, 1), the batch axis dynamic) and DIR/eager.bin (the
image of the inputs in eager mode); prints one JSON line: {"eager_images_per_s": best, "eager_median": ...}.
With "serve": true in the config, it then times one eager forward pass of a fresh random batch for each
line "run" on its standard input, printing its seconds (so that the bench can run it in turn with
onnxruntime), until the input ends.
"""
import importlib.util, json, math, os, sys, time
import torch


def main():
    reference, out, config = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    spec = importlib.util.spec_from_file_location('pytorch_pix2pix', reference)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    S, W, C, B = config['size'], config['ngf'], config['classes'], config['batch']
    torch.set_num_threads(config['threads'])
    G = ref.unet(C + 1, 3, W, int(math.log2(S)), 'instance')
    flat = torch.frombuffer(bytearray(open(os.path.join(out, 'weights.bin'), 'rb').read()), dtype=torch.float32)
    offset = 0
    with torch.no_grad():
        for p in G.parameters():
            p.copy_(flat[offset:offset + p.numel()].view_as(p))
            offset += p.numel()
    assert offset == flat.numel(), f'{flat.numel()} weights given, the U-Net has {offset}'
    G.eval()

    class Sampler(torch.nn.Module):
        def __init__(self, g):
            super().__init__()
            self.g = g

        def forward(self, layout, noise):
            return ((self.g(torch.cat([layout, ref.noise_channel(layout, noise)], 1)) + 1) / 2).clamp(0, 1)

    model = Sampler(G).eval()
    inputs = torch.frombuffer(bytearray(open(os.path.join(out, 'inputs.bin'), 'rb').read()), dtype=torch.float32)
    layout = inputs[:B * C * S * S].view(B, C, S, S)
    noise = inputs[B * C * S * S:].view(B, C)
    with torch.no_grad():
        torch.onnx.export(model, (layout, noise), os.path.join(out, 'torch.onnx'), opset_version=17,
                          input_names=['layout', 'noise'], output_names=['image'],
                          dynamic_axes={'layout': {0: 'N'}, 'noise': {0: 'N'}, 'image': {0: 'N'}})
        model(layout, noise).contiguous().numpy().tofile(os.path.join(out, 'eager.bin'))
        times = []
        for i in range(-1, config['rounds']):
            t = time.perf_counter()
            model(layout, noise)
            if i >= 0:
                times.append(time.perf_counter() - t)
    times.sort()
    print(json.dumps({'eager_images_per_s': B / times[0], 'eager_median': B / times[len(times) // 2], 'torch': torch.__version__}), flush=True)
    if config.get('serve'):
        with torch.no_grad():
            for line in sys.stdin:
                if line.strip() != 'run':
                    continue
                idx = torch.randint(0, C, (B, S, S))
                onehot = torch.nn.functional.one_hot(idx, C).permute(0, 3, 1, 2).float().contiguous()
                n = torch.rand(B, C) * 2 - 1
                t = time.perf_counter()
                model(onehot, n)
                print(time.perf_counter() - t, flush=True)


if __name__ == '__main__':
    main()
