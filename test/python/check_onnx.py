#!/usr/bin/env python3
"""Runs Debian's onnx checker (full_check, with shape inference) on each file; prints one JSON line per
file: {"file", "ok", "error", "opset", "domains", "ops"}."""
import json
import sys

import onnx

for path in sys.argv[1:]:
    out = {'file': path}
    try:
        m = onnx.load(path)
        onnx.checker.check_model(m, full_check=True)
        out.update(ok=True, opset={i.domain: i.version for i in m.opset_import},
                   domains=sorted({n.domain for n in m.graph.node}), ops=sorted({n.op_type for n in m.graph.node}),
                   onnx=onnx.__version__)
    except Exception as e:  # report, do not hide: the test asserts ok
        out.update(ok=False, error=str(e).splitlines()[0] if str(e) else repr(e))
    print(json.dumps(out))
