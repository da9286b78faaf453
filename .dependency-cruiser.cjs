/**
 * The allowed imports between Vigil's parts (../shared/DESIGN.md, "Folders and what each
 * may touch"), checked on every `npm test` so the layering is kept by a tool, not memory.
 */
const parts = ['events', 'collectors', 'detector', 'ledger', 'anchor', 'notify', 'store', 'api', 'dashboards', 'pipeline', 'bench', 'test'];
const others = (...allowed) => `^(${parts.filter((p) => !allowed.includes(p)).join('|')})/`;

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
    {
      name: 'events-stands-alone',
      comment: 'events/ is the shared model: it imports nothing of ours.',
      severity: 'error',
      from: { path: '^events/' },
      to: { path: others('events') },
    },
    {
      name: 'ledger-stands-alone',
      comment: "ledger/ imports nothing of ours: an auditor's verifier must run alone, also in a browser.",
      severity: 'error',
      from: { path: '^ledger/' },
      to: { path: others('ledger') },
    },
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
    {
      name: 'collectors-only-events',
      severity: 'error',
      from: { path: '^collectors/' },
      to: { path: others('collectors', 'events') },
    },
    {
      name: 'no-collector-imports-another',
      comment: 'collectors/<a>/ must not import collectors/<b>/; shared helpers live in collectors/*.ts.',
      severity: 'error',
      from: { path: '^collectors/([^/]+)/' },
      to: { path: '^collectors/[^/]+/', pathNot: '^collectors/$1/' },
    },
    {
      name: 'detector-only-events',
      severity: 'error',
      from: { path: '^detector/' },
      to: { path: others('detector', 'events') },
    },
    {
      name: 'notify-only-events',
      comment: 'notify/ (outbound notifications and case export) takes its own shapes; the pipeline maps incidents onto them.',
      severity: 'error',
      from: { path: '^notify/' },
      to: { path: others('notify', 'events') },
    },
    {
      name: 'store-only-events-and-detector-types',
      severity: 'error',
      from: { path: '^store/' },
      to: { path: others('store', 'events', 'detector') },
    },
    {
      name: 'store-takes-only-types-from-detector',
      severity: 'error',
      from: { path: '^store/' },
      to: { path: '^detector/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'api-only-store-ledger-events',
      severity: 'error',
      from: { path: '^api/' },
      to: { path: others('api', 'store', 'ledger', 'anchor', 'events') },
    },
    {
      name: 'dashboards-only-ledger-verifier',
      comment: "dashboards/ talk to the API over HTTP; the only code they share is the ledger's and the anchor's verifiers.",
      severity: 'error',
      from: { path: '^dashboards/' },
      to: { path: others('dashboards', 'ledger', 'anchor') },
    },
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
