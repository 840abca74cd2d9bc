#!/usr/bin/env python3
"""PyTorch side of the per-op reference test (test/ops-reference.test.ts).

  /usr/bin/python3 op_reference.py <cases json file>

The file holds a list of cases:
  {"title": ., "torch": "<expression>", "inputs": [{"dtype": "float32" | "bool" | "int64", "shape": [.],
   "data": [.]}], "upstream": [[.] or null per output]}
The expression is evaluated with the inputs named a, b, c, ... (float inputs as float64 tensors that
require grad, so that float32 values on the TS side meet an exact reference), torch, F
(torch.nn.functional) and the helpers below; it gives one tensor or a tuple of them, one per op output.
The input gradients are those of sum_i sum(output_i * upstream_i) over the outputs with an upstream.
Prints {title: {"outputs": [{"dtype", "shape", "data"}], "grads": [data or null per input]}} as JSON.
"""
import json
import sys

import torch
import torch.nn.functional as F

DTYPES = {'float32': torch.float64, 'bool': torch.bool, 'int64': torch.int64}


def onnx_max_pool(x, kernel, stride, pad):
    """ONNX MaxPool's two outputs: the maxima, and their indices into the whole flattened input (torch
    counts them within each (n, c) plane)."""
    y, index = F.max_pool2d(x, kernel, stride, pad, return_indices=True)
    n, c, h, w = x.shape
    plane = torch.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    return y, index + plane


def to_json(t):
    if t.dtype == torch.bool:
        return {'dtype': 'bool', 'shape': list(t.shape), 'data': t.reshape(-1).int().tolist()}
    if t.dtype == torch.int64:
        return {'dtype': 'int64', 'shape': list(t.shape), 'data': t.reshape(-1).tolist()}
    return {'dtype': 'float32', 'shape': list(t.shape), 'data': t.detach().reshape(-1).tolist()}


def run(case):
    inputs = []
    for spec in case['inputs']:
        t = torch.tensor(spec['data'], dtype=DTYPES[spec['dtype']]).reshape(spec['shape'])
        if spec['dtype'] == 'float32':
            t.requires_grad_(True)
        inputs.append(t)
    names = {chr(ord('a') + i): t for i, t in enumerate(inputs)}
    result = eval(case['torch'], {'torch': torch, 'F': F, 'onnx_max_pool': onnx_max_pool}, names)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    if len(outputs) != len(case['upstream']):
        raise SystemExit(f"{case['title']}: {len(outputs)} outputs from torch, the op has {len(case['upstream'])}")

    floats = [t for t in inputs if t.requires_grad]
    terms = [(y * torch.tensor(u, dtype=torch.float64).reshape(y.shape)).sum()
             for y, u in zip(outputs, case['upstream']) if u is not None and y.requires_grad]
    if floats and terms:
        grads = torch.autograd.grad(sum(terms), floats, allow_unused=True)
    else:
        grads = [None] * len(floats)
    by_input = iter(grads)
    grad_json = []
    for t in inputs:
        if not t.requires_grad:
            grad_json.append(None)
            continue
        g = next(by_input)
        grad_json.append((torch.zeros_like(t) if g is None else g).reshape(-1).tolist())
    return {'outputs': [to_json(y) for y in outputs], 'grads': grad_json}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    torch.set_num_threads(1)
    json.dump({case['title']: run(case) for case in cases}, sys.stdout)


if __name__ == '__main__':
    main()
