/**
 * The allowed imports between Vigil's parts (../shared/DESIGN.md, "Folders and what each
 * may touch"), checked on every `npm test` so the layering is kept by a tool, not memory.
 */
const parts = ['events', 'collectors', 'detector', 'ledger', 'anchor', 'notify', 'store', 'api', 'dashboards', 'pipeline', 'bench', 'test'];
const others = (...allowed) => `^(${parts.filter((p) => !allowed.includes(p)).join('|')})/`;
/** `part`/ may import, of ours, only itself and `allowed` (one row of DESIGN.md's table). */
const onlyImports = (name, part, allowed, comment) => ({
  name,
  ...(comment !== undefined ? { comment } : {}),
  severity: 'error',
  from: { path: `^${part}/` },
  to: { path: others(part, ...allowed) },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'packages-stand-alone',
      comment: 'packages/* are libraries of our own (events/ and ledger/ both use @vigil/jcs): they import nothing else of ours.',
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^(packages/(?!$1/)|(events|collectors|detector|ledger|notify|store|api|dashboards|pipeline|bench|test)/)' },
    },
    onlyImports('events-stands-alone', 'events', [], 'events/ is the shared model: it imports nothing of ours.'),
    onlyImports('ledger-stands-alone', 'ledger', [], "ledger/ imports nothing of ours: an auditor's verifier must run alone, also in a browser."),
    {
      name: 'anchor-only-ledger-verifier',
      comment: "anchor/ takes only the ledger's public face for checkpoints and consistency proofs (ledger/verifier.ts, browser-safe), nothing else of ours.",
      severity: 'error',
      from: { path: '^anchor/' },
      to: { path: [others('anchor', 'ledger'), '^ledger/'], pathNot: '^ledger/verifier\\.ts$' },
    },
    {
      name: 'anchor-verifier-browser-safe',
      comment: "anchor/verifier.ts is the part's browser face: it and what it imports must not touch node: modules or the node-side files.",
      severity: 'error',
      from: { path: '^anchor/(verifier|chain|parse|audit|proof|types|errors|contract)\\.ts$' },
      to: { path: '^anchor/(anchorer|anchorer-thread|anchorer-worker-thread|state|keys|anvil|deploy|compile|build-contract|index)\\.ts$' },
    },
    {
      name: 'anchor-verifier-no-node-modules',
      severity: 'error',
      from: { path: '^anchor/(verifier|chain|parse|audit|proof|types|errors|contract)\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    onlyImports('collectors-only-events', 'collectors', ['events']),
    {
      name: 'no-collector-imports-another',
      comment: 'collectors/<a>/ must not import collectors/<b>/; shared helpers live in collectors/*.ts.',
      severity: 'error',
      from: { path: '^collectors/([^/]+)/' },
      to: { path: '^collectors/[^/]+/', pathNot: '^collectors/$1/' },
    },
    onlyImports('detector-only-events', 'detector', ['events']),
    onlyImports('notify-only-events', 'notify', ['events'], 'notify/ (outbound notifications and case export) takes its own shapes; the pipeline maps incidents onto them.'),
    onlyImports('store-only-events-and-detector-types', 'store', ['events', 'detector']),
    {
      name: 'store-takes-only-types-from-detector',
      severity: 'error',
      from: { path: '^store/' },
      to: { path: '^detector/', dependencyTypesNot: ['type-only'] },
    },
    onlyImports('api-only-store-ledger-events', 'api', ['store', 'ledger', 'anchor', 'events']),
    onlyImports('dashboards-only-ledger-verifier', 'dashboards', ['ledger', 'anchor'], "dashboards/ talk to the API over HTTP; the only code they share is the ledger's and the anchor's verifiers."),
    {
      name: 'dashboards-browser-code-only-verifier',
      comment: "The pages run in a browser: of ours they may bundle ledger/verifier.ts alone (the ledger's index pulls in node:fs).",
      severity: 'error',
      from: { path: '^dashboards/src/' },
      to: { path: '^ledger/', pathNot: '^ledger/verifier\\.ts$' },
    },
    {
      name: 'dashboards-browser-code-only-anchor-verifier',
      comment: "Of anchor/ the pages bundle anchor/verifier.ts and the browser-safe files it imports, never the node-side index.",
      severity: 'error',
      from: { path: '^dashboards/src/' },
      to: { path: '^anchor/', pathNot: '^anchor/verifier\\.ts$' },
    },
    {
      name: 'small-face-per-part',
      comment: "Outside a part, import only its index.ts (STYLE.md 1). Tests may reach inside.",
      severity: 'error',
      from: { path: '^(events|collectors|detector|ledger|anchor|notify|store|api|dashboards|pipeline|bench)/([^/]+)', pathNot: '^(dashboards/src|anchor)/' },
      to: {
        path: '^(events|collectors|detector|ledger|anchor|notify|store|api)/.+',
        pathNot: ['^$1/', '^(events|collectors|detector|ledger|anchor|notify|store|api)/index\\.ts$'],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
