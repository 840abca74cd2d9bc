// Import rules checked by `make check` (part of `make test`): no cycles, and each layer imports only
// itself and the layers below it. Layers, lowest first: graph < common < web < runtime < train < metrics < api < cli.
// fixtures/ (procedural data) sits beside train/: train/ and above may use it, and it uses only graph/
// and common/. web/ (divsyn/web) runs in browsers: it, the common/ modules it uses and graph/ import no
// node: module, no Node-only package and nothing else; of web/, only the studio page (web/studio/)
// imports onnxruntime-web. index.ts (the package's Node entry) may use every layer but cli/. bench/,
// test/ and examples/ may import anything.
const LAYERS = ['graph', 'common', 'web', 'runtime', 'train', 'metrics', 'api', 'cli'];

/** The common/ modules that run in browsers: web/ may import these and graph/, nothing else. */
const BROWSER_SAFE_COMMON = ['conditions', 'errors', 'generator-info', 'label-maps', 'onnx-model', 'variation'];
const BROWSER_SAFE = `^(graph/|web/|common/(${BROWSER_SAFE_COMMON.join('|')})\\.ts$)`;

/** Node built-ins that reach files, processes, threads or the network: graph/ builds graphs in memory only. */
const IO_BUILTINS = [
  'fs',
  'fs/promises',
  'child_process',
  'cluster',
  'worker_threads',
  'net',
  'dgram',
  'dns',
  'http',
  'https',
  'http2',
  'tls',
  'readline',
  'repl',
  'os',
  'process',
  'v8',
  'vm',
  'inspector',
];

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer}-imports-no-higher-layer`,
  comment: `${layer}/ may import only ${LAYERS.slice(0, i + 1).join(', ')} (and fixtures/ from train/ up)`,
  severity: 'error',
  from: { path: `^${layer}/` },
  to: { path: `^(${LAYERS.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle makes module order matter and the layers meaningless',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'fixtures-below-train',
      comment: 'procedural data is for training and above; graph/, common/ and runtime/ must not depend on it',
      severity: 'error',
      from: { path: '^(graph|common|web|runtime)/' },
      to: { path: '^fixtures/' },
    },
    {
      name: 'fixtures-import-graph-and-common-only',
      comment: 'fixtures/ may import graph/ and common/ (and itself), nothing above',
      severity: 'error',
      from: { path: '^fixtures/' },
      to: { path: '^(web|runtime|train|metrics|api|cli|bench|test)/' },
    },
    {
      name: 'no-test-or-bench-in-product',
      comment: 'the shipped code must not depend on tests or benchmarks',
      severity: 'error',
      from: { path: '^(graph|common|web|runtime|train|metrics|api|cli|fixtures|index\\.ts$)' },
      to: { path: '^(test|bench|examples)/' },
    },
    {
      name: 'graph-is-pure',
      comment: 'graph/ is a pure builder: no file, process or network access',
      severity: 'error',
      from: { path: '^graph/' },
      to: { dependencyTypes: ['core'], path: `^(node:)?(${IO_BUILTINS.join('|')})$` },
    },
    {
      name: 'graph-runs-nothing',
      comment: "graph/ emits ONNX; running it is runtime/'s job",
      severity: 'error',
      from: { path: '^graph/' },
      to: { path: '(^|/)node_modules/onnxruntime-' },
    },
    {
      name: 'browser-safe-has-no-node',
      comment: 'web/ and the browser-safe common/ modules run in browsers: no node: module, nothing of Node-only packages',
      severity: 'error',
      from: { path: BROWSER_SAFE },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'browser-safe-has-no-node-packages',
      comment: 'onnxruntime-node, sharp and p-queue are for Node',
      severity: 'error',
      from: { path: BROWSER_SAFE },
      to: { path: '(^|/)node_modules/(onnxruntime-node|sharp|p-queue)/' },
    },
    {
      name: 'web-entry-takes-the-callers-onnxruntime',
      comment: 'the web entry imports no onnxruntime (its caller picks the build); the studio page (web/studio/) is such a caller',
      severity: 'error',
      from: { path: BROWSER_SAFE, pathNot: '^web/studio/' },
      to: { path: '(^|/)node_modules/onnxruntime-web/' },
    },
    {
      name: 'web-entry-holds-no-page',
      comment: 'the studio page builds on the web entry, not the other way round: divsyn/web carries no page',
      severity: 'error',
      from: { path: BROWSER_SAFE, pathNot: '^web/studio/' },
      to: { path: '^web/studio/' },
    },
    {
      name: 'browser-safe-imports-browser-safe',
      comment: 'a browser-safe module imports only graph/ and other browser-safe modules',
      severity: 'error',
      from: { path: BROWSER_SAFE },
      to: { path: '^(common|web|runtime|train|metrics|cli|fixtures)/', pathNot: BROWSER_SAFE },
    },
    {
      name: 'entry-is-below-cli',
      comment: 'the CLI is a shell over the library, not part of it: index.ts exports no command',
      severity: 'error',
      from: { path: '^index\\.ts$' },
      to: { path: '^(cli|test|bench|examples)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment:
        "an import that does not resolve to a file or package (examples/ import the package by its own name, Node's self-reference through package.json exports, which the resolver does not follow)",
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^divsyn(/web)?$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
