#!/usr/bin/env python3
"""PyTorch side of the parity test (test/parity.test.ts).

  /usr/bin/python3 torch_parity.py <reference dir> <out dir> '<config json>'

Imports the reference model (pytorch_pix2pix.py in <reference dir>: unet, patchgan, noise_channel,
diversity_loss), builds G = unet(C+1, 3, ngf, log2(size), 'instance') and D = patchgan(C+3, ndf,
'instance') for each case of the config, fixes a batch, and computes in float64 (weights and inputs
are float32 values, so both sides start from the same numbers and the float64 result is the truth):
  - the generator objective with D fixed, as divsyn's forward_loss, and its gradient w.r.t. every
    parameter of G;
  - the discriminator objective 0.5 (gan(D(l2, fakes.detach()), 0) + gan(D(l, real), 1)) and its
    gradient w.r.t. every parameter of D.
Writes <out dir>/parity.bin (float32 tensors, back to back) and <out dir>/parity.json (the index:
per case the parameters, inputs and gradients in module .parameters() order, with shapes and offsets,
and the losses as float64 numbers).

Config: {"classes": C, "size": S, "ngf": ., "ndf": ., "lambda": .,
         "cases": [{"name": ., "diversity": "bounded" | "none", "batch": B, "beta": ., "l1": ., "seed": .,
                    "absent": [classes missing from the layout]}]}
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn


def main():
    ref_dir, out_dir, config = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    ref_file = os.path.join(ref_dir, 'pytorch_pix2pix.py')
    if not os.path.isfile(ref_file):
        raise SystemExit(f'reference model not found: {ref_file}')
    sys.path.insert(0, ref_dir)
    import pytorch_pix2pix as ref

    C, S, ngf, ndf = config['classes'], config['size'], config['ngf'], config['ndf']
    lam = config['lambda']
    downs = int(math.log2(S))
    torch.set_num_threads(2)

    blobs, offset = [], 0
    index = {'torch': torch.__version__, 'reference': os.path.abspath(ref_file), 'cases': {}}

    def put(t):
        nonlocal offset
        a = t.detach().to(torch.float32).contiguous().numpy().reshape(-1)
        entry = {'shape': list(t.shape), 'offset': offset}
        blobs.append(a.tobytes())
        offset += a.size
        return entry

    for case in config['cases']:
        torch.manual_seed(case['seed'])
        G = ref.unet(C + 1, 3, ngf, downs, 'instance')
        D = ref.patchgan(C + 3, ndf, 'instance')
        # No dropout at this size: the reference would draw its own masks, divsyn takes them as inputs.
        assert not any(isinstance(m, ref.PairedDropout) for m in G.modules()), 'size must be 32 (no dropout blocks)'
        with torch.no_grad():
            # affine norms away from their (1, 0) start, so the scale and shift are really exercised
            for m in list(G.modules()) + list(D.modules()):
                if isinstance(m, nn.InstanceNorm2d):
                    m.weight.copy_(1 + 0.2 * torch.randn_like(m.weight))
                    m.bias.copy_(0.2 * torch.randn_like(m.bias))
        G, D = G.double(), D.double()
        G.train(), D.train()

        b, beta, l1w = case['batch'], case['beta'], case['l1']
        present = [c for c in range(C) if c not in case.get('absent', [])]
        # blocky layout (4x4 blocks) drawn from the present classes, one-hot [B,C,S,S]
        blocks = torch.tensor(present)[torch.randint(0, len(present), (b, S // 4, S // 4))]
        idx = blocks.repeat_interleave(4, 1).repeat_interleave(4, 2)
        onehot = nn.functional.one_hot(idx, C).permute(0, 3, 1, 2).double()
        image = torch.rand(b, 3, S, S, dtype=torch.float32).double()  # divsyn's `image` input, in [0, 1]
        real = image * 2 - 1
        n = (torch.rand(b, C, dtype=torch.float32) * 2 - 1).double()

        bce = nn.BCEWithLogitsLoss()
        gan = lambda logits, is_real: bce(logits, torch.full_like(logits, 1.0 if is_real else 0.0))
        if case['diversity'] == 'bounded':
            l2 = torch.cat([onehot, onehot])
            noise = torch.cat([ref.noise_channel(onehot, n), torch.zeros(b, 1, S, S, dtype=torch.float64)])
            fakes = G(torch.cat([l2, noise], 1))
            fake_n, fake_0 = fakes[:b], fakes[b:]
        elif case['diversity'] == 'none':
            l2, fakes = onehot, G(torch.cat([onehot, ref.noise_channel(onehot, n)], 1))
            fake_0 = fakes
        else:
            raise SystemExit(f"unknown diversity mode {case['diversity']}")

        loss_gan = gan(D(torch.cat([l2, fakes], 1)), True)
        loss_l1 = nn.functional.l1_loss(fake_0, real)
        loss_g = loss_gan + l1w * loss_l1
        out = {'diversity': case['diversity'], 'batch': b, 'beta': beta, 'l1': l1w, 'present': present}
        if case['diversity'] == 'bounded':
            loss_div = ref.diversity_loss(onehot, n, fake_0, fake_n, lam)
            loss_g = loss_g + beta * loss_div
            out['loss_div'] = loss_div.item()
        g_params = list(G.parameters())
        g_grads = torch.autograd.grad(loss_g, g_params)

        loss_d = 0.5 * (gan(D(torch.cat([l2, fakes.detach()], 1)), False) + gan(D(torch.cat([onehot, real], 1)), True))
        d_params = list(D.parameters())
        d_grads = torch.autograd.grad(loss_d, d_params)

        out.update(loss_g=loss_g.item(), loss_gan=loss_gan.item(), loss_l1=loss_l1.item(), loss_d=loss_d.item())
        out['inputs'] = {'layout': put(onehot), 'image': put(image), 'noise': put(n)}
        out['G'] = [{'name': k, **put(p)} for k, p in G.named_parameters()]
        out['D'] = [{'name': k, **put(p)} for k, p in D.named_parameters()]
        out['gradG'] = [put(g) for g in g_grads]
        out['gradD'] = [put(g) for g in d_grads]
        out['outputs'] = {'fakes': put(fakes)}
        index['cases'][case['name']] = out

    with open(os.path.join(out_dir, 'parity.bin'), 'wb') as f:
        for blob in blobs:
            f.write(blob)
    with open(os.path.join(out_dir, 'parity.json'), 'w') as f:
        json.dump(index, f)


if __name__ == '__main__':
    main()
