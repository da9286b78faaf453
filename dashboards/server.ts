/**
 * Serves the dashboards: one HTML page, one script and one stylesheet, bundled from
 * `dashboards/src/` with esbuild's JS API on the first request and kept in memory. Nothing
 * built is committed, so the pages can never be older than the code that serves them.
 *
 * The page is served with a strict Content-Security-Policy: scripts and styles only from
 * this origin (no inline script, no eval), network only to this origin (`connect-src
 * 'self'`: the GraphQL API), no frames, no external resources of any kind — the machines
 * are offline and a dashboard holding an API token must not talk to anyone else.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface DashboardsOptions {
  /** Minify the bundle. @default true */
  minify?: boolean;
  /** Where bundling problems are reported. @default console.error */
  onError?: (err: unknown) => void;
  /**
   * Origins besides this one the pages may connect to: the node's anchor chain RPC URL, so
   * the auditor's page checks an anchor against the chain itself, not through the node it
   * audits. Read per request (a local chain's port is known only once it started). @default none
   */
  connectSources?: () => readonly string[];
}

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export interface DashboardBundle {
  assets: Map<string, Asset>;
  /** How long bundling took, milliseconds. */
  buildMs: number;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The policy with extra `connect-src` origins (each reduced to its scheme, host and port). */
export function contentSecurityPolicy(connectSources: readonly string[] = []): string {
  const extra = connectSources.flatMap((u) => {
    try {
      const url = new URL(u);
      return url.protocol === 'http:' || url.protocol === 'https:' ? [url.origin] : [];
    } catch {
      return [];
    }
  });
  return extra.length === 0 ? CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY.replace("connect-src 'self'", `connect-src 'self' ${extra.join(' ')}`);
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

/** Everything served; any other path is a 404 without bundling anything. */
const PATHS = new Set(['/', '/index.html', '/assets/app.js', '/assets/app.css', '/assets/favicon.svg']);

const ENTRY = fileURLToPath(new URL('./src/main.tsx', import.meta.url));

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<div id="app"><noscript>Vigil's dashboards need JavaScript.</noscript></div>
</body>
</html>
`;

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0f2a44"/><path d="M7 9l9 15 9-15" fill="none" stroke="#5cc8ff" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

function asset(body: string | Uint8Array, type: string): Asset {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  return { body: buf, type, etag: `"${createHash('sha256').update(buf).digest('base64url').slice(0, 22)}"` };
}

/** Bundle the pages (about a quarter of a second: esbuild, no type checking). */
export async function bundleDashboards(options: Pick<DashboardsOptions, 'minify'> = {}): Promise<DashboardBundle> {
  const started = performance.now();
  const result = await build({
    entryPoints: { app: ENTRY },
    bundle: true,
    write: false,
    outdir: '/assets',
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
    // Leaflet's stylesheet names a few small images: inlined, so the bundle stays two files.
    loader: { '.png': 'dataurl' },
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    const type = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
    assets.set(`/assets/${name}`, asset(file.contents, type));
  }
  if (!assets.has('/assets/app.js') || !assets.has('/assets/app.css')) throw new Error('dashboards: the bundle lacks app.js or app.css');
  assets.set('/assets/favicon.svg', asset(FAVICON, 'image/svg+xml'));
  assets.set('/', asset(INDEX_HTML, 'text/html; charset=utf-8'));
  assets.set('/index.html', assets.get('/')!);
  return { assets, buildMs: performance.now() - started };
}

export interface Dashboards {
  /** Mount at `/` on the node's HTTP server; exact routes (/graphql, /ingest, …) still win. */
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Bundle now rather than on the first request (the result is cached either way). */
  ready(): Promise<DashboardBundle>;
}

/** One bundle per process and minify setting: nodes started side by side (tests) share it. */
const bundles = new Map<boolean, Promise<DashboardBundle>>();

export function createDashboards(options: DashboardsOptions = {}): Dashboards {
  const minify = options.minify ?? true;
  const ready = (): Promise<DashboardBundle> => {
    let bundling = bundles.get(minify);
    if (!bundling) {
      bundling = bundleDashboards({ minify }).catch((err: unknown) => {
        bundles.delete(minify); // a later request retries (the source may have been mid-edit)
        throw err;
      });
      bundles.set(minify, bundling);
    }
    return bundling;
  };
  const report = options.onError ?? ((err: unknown) => console.error(err));

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (!PATHS.has(path)) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route for ${path}` } }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'application/json' }).end('{"error":{"code":"METHOD_NOT_ALLOWED","message":"dashboards are read with GET"}}');
      return;
    }
    let bundle: DashboardBundle;
    try {
      bundle = await ready();
    } catch (err) {
      report(err);
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('the dashboards could not be built; see the node log');
      return;
    }
    const found = bundle.assets.get(path)!;
    const headers = {
      'Content-Type': found.type,
      ETag: found.etag,
      // Revalidate every time: a restarted node may serve a new bundle under the same name.
      'Cache-Control': 'no-cache',
      ...SECURITY_HEADERS,
      ...(options.connectSources ? { 'Content-Security-Policy': contentSecurityPolicy(options.connectSources()) } : {}),
    };
    if (req.headers['if-none-match'] === found.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(found.body.length) });
    res.end(req.method === 'HEAD' ? undefined : found.body);
  };
  return { handler, ready };
}
