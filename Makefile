# divsyn: `make demo` and `make test` install what is missing, build, and run.
# onnxruntime-node's CUDA download is skipped unless CUDA=1 (this machine class has no GPU and no route
# to that feed); nothing else downloads but npm packages and, for tests, Debian packages.
SHELL := /bin/bash
NODE_ENV_INSTALL := ONNXRUNTIME_NODE_INSTALL=$(if $(CUDA),cuda12,skip)
PY := /usr/bin/python3
DEBIAN_TEST_PACKAGES := python3-torch python3-onnx python3-skimage chromium redis-server

.PHONY: all install build check import-rules lint format-check test test-deps bench bench-threads bench-memory screenshots demo clean

all: build

node_modules/.divsyn-installed: package.json package-lock.json
	$(NODE_ENV_INSTALL) npm ci --no-audit --no-fund
ifdef CUDA
	# npm may hold back install scripts: fetch onnxruntime-node's CUDA binaries explicitly
	cd node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install
endif
	touch $@

install: node_modules/.divsyn-installed

# the knob studio's browser bundle (dist/studio-page/, api/studio-bundle.ts) is built from the compiled page
build: install
	npx tsc -p tsconfig.json
	node --input-type=module -e "await (await import('./dist/api/studio-bundle.js')).buildStudioBundle()"

# Debian packages the tests use (PyTorch parity, the onnx checker, scikit-image's SSIM, Chromium for the
# browser tests, redis-server for the queue tests).
test-deps:
	@if ! $(PY) -c 'import torch, onnx, skimage' 2>/dev/null || ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/redis-server ]; then \
	  echo "installing $(DEBIAN_TEST_PACKAGES) from Debian"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEBIAN_TEST_PACKAGES) >/dev/null; \
	fi
	@$(PY) -c 'import torch, onnx, skimage; print("python test deps: torch", torch.__version__, "onnx", onnx.__version__, "skimage", skimage.__version__)'
	@/usr/bin/chromium --version; /usr/bin/redis-server --version

# Static checks, run by `make test` before the tests: import rules (.dependency-cruiser.cjs: no cycles, no
# upward imports between layers), lint (eslint.config.js) and formatting (.prettierrc.json).
check: import-rules lint format-check

import-rules: install
	npx depcruise --config .dependency-cruiser.cjs .

lint: install
	npx eslint .

format-check: install
	npx prettier --check .

test: build check test-deps
	npx ava

# the benches run under bin/divsyn-node, as divsyn's command line does (its malloc setting); PyTorch without it
bench: build test-deps
	bin/divsyn-node dist/bench/run.js
	bin/divsyn-node dist/bench/train-torch.js
	bin/divsyn-node dist/bench/studio.js
	bin/divsyn-node dist/bench/precision.js

# onnxruntime's spinning and thread counts, quiet and under a competing load (bench/threads.ts)
bench-threads: build test-deps
	bin/divsyn-node dist/bench/threads.js

# the README's screenshots of the knob studio (docs/studio*.png), in headless Chromium
screenshots: build test-deps
	node dist/bench/screenshots.js

# peak resident memory of CRN training: crn-multi's n images against crn with the diversity loss (bench/memory.ts);
# then of a 10,000-image sampling run at 64 px, after 1,000 images and at its end (bench/sample-memory.ts)
bench-memory: build
	bin/divsyn-node dist/bench/memory.js
	bin/divsyn-node dist/bench/sample-memory.js

# make demo DEMO_ARGS='--minutes 2 --threads 1'; DEMO_OUT=DIR writes elsewhere (an earlier demo there is replaced, and make says so)
DEMO_OUT ?= out/demo
demo: build
	@if [ -e $(DEMO_OUT)/generator.onnx ]; then echo "make demo: replacing the earlier demo in $(DEMO_OUT) (DEMO_OUT=DIR keeps it)"; fi
	bin/divsyn demo --out $(DEMO_OUT) --force $(DEMO_ARGS)

clean:
	rm -rf dist node_modules/.divsyn-installed
