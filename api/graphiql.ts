/**
 * GraphiQL (graphql-yoga's build, @graphql-yoga/render-graphiql) served from this node's own
 * files rather than a CDN: the page, its script, stylesheet and editor workers are separate
 * same-origin assets, so the page runs under a strict Content-Security-Policy — scripts only
 * from this origin (no inline script, no eval), network only to this origin. The one
 * relaxation is `style-src 'unsafe-inline'`: the Monaco editor inserts its styles at run time.
 *
 * Behind sign-in: the page holds no data and shows nothing until an API token (the
 * dashboards' sign-in, kept in sessionStorage) has answered `{ me }`; every query it sends
 * carries that token and meets the API's usual checks. Off unless `api.graphiql`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'Content-Security-Policy': GRAPHIQL_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

/** The sign-in gate and the editor's start, as a same-origin script (no inline script under the CSP). */
const BOOT = `(() => {
  const KEY = 'vigil.token';
  const root = document.getElementById('root');
  const check = async (token) => {
    const res = await fetch('/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token }, body: '{"query":"{ me { name role } }"}' });
    return res.status === 200 && !(await res.json()).errors;
  };
  const start = (token) => {
    root.textContent = '';
    YogaGraphiQL.renderYogaGraphiQL(root, { endpoint: '/graphql', title: 'Vigil GraphiQL', additionalHeaders: { Authorization: 'Bearer ' + token }, shouldPersistHeaders: false, subscriptionsProtocol: 'SSE' });
  };
  const signIn = (message) => {
    root.textContent = '';
    const form = document.createElement('form');
    form.id = 'signin';
    const label = document.createElement('label');
    label.textContent = 'API token ';
    const input = document.createElement('input');
    input.type = 'password';
    input.name = 'token';
    input.autocomplete = 'off';
    label.append(input);
    const button = document.createElement('button');
    button.type = 'submit';
    button.textContent = 'Sign in';
    const note = document.createElement('p');
    note.id = 'signin-message';
    note.textContent = message;
    form.append(label, button, note);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const token = input.value.trim();
      if (token && (await check(token))) {
        sessionStorage.setItem(KEY, token);
        start(token);
      } else note.textContent = 'That token was refused.';
    });
    root.append(form);
  };
  const saved = sessionStorage.getItem(KEY);
  if (!saved) return signIn('Sign in with an API token to use GraphiQL.');
  check(saved).then((ok) => (ok ? start(saved) : (sessionStorage.removeItem(KEY), signIn('The saved token was refused; sign in again.'))), () => signIn('The API did not answer.'));
})();
`;

/** Monaco asks for its workers by label; they are served beside the page. */
const ENV = `self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_id, label) => '/graphiql/worker-' + (label === 'json' || label === 'graphql' ? label : 'editor') + '.js' };\n`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Vigil GraphiQL</title>
<link rel="stylesheet" href="/graphiql/graphiql.css">
</head>
<body class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root"></div>
<script src="/graphiql/env.js"></script>
<script src="/graphiql/graphiql.js"></script>
<script src="/graphiql/boot.js"></script>
</body>
</html>
`;

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

type Bundle = { css: string; js: string; editorWorkerService: string; jsonWorker: string; graphqlWorker: string };

/** The package exports only its renderer; its assets module sits beside the renderer's file. */
async function loadBundle(): Promise<Bundle> {
  const entry = createRequire(import.meta.url).resolve('@graphql-yoga/render-graphiql');
  return (await import(pathToFileURL(join(dirname(entry), 'graphiql.js')).href)) as Bundle;
}

function asset(text: string, type: string): Asset {
  const body = Buffer.from(text);
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** The handler for `/graphiql` and `/graphiql/*`; the 5 MB bundle is read on the first request. */
export function createGraphiql(): { handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> } {
  let assets: Promise<Map<string, Asset>> | undefined;
  const load = (): Promise<Map<string, Asset>> =>
    (assets ??= loadBundle().then((b) => {
      const js = 'text/javascript; charset=utf-8';
      return new Map([
        ['/graphiql', asset(PAGE, 'text/html; charset=utf-8')],
        ['/graphiql/', asset(PAGE, 'text/html; charset=utf-8')],
        ['/graphiql/env.js', asset(ENV, js)],
        ['/graphiql/boot.js', asset(BOOT, js)],
        ['/graphiql/graphiql.js', asset(b.js, js)],
        ['/graphiql/graphiql.css', asset(b.css, 'text/css; charset=utf-8')],
        ['/graphiql/worker-editor.js', asset(b.editorWorkerService, js)],
        ['/graphiql/worker-json.js', asset(b.jsonWorker, js)],
        ['/graphiql/worker-graphql.js', asset(b.graphqlWorker, js)],
      ]);
    }));
  return {
    async handler(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      const path = (req.url ?? '/').split('?')[0]!;
      const a = (await load()).get(path);
      if (!a) return void res.writeHead(404, { 'Content-Type': 'text/plain', ...HEADERS }).end('not found');
      if (req.headers['if-none-match'] === a.etag) return void res.writeHead(304, { ETag: a.etag, ...HEADERS }).end();
      res.writeHead(200, { 'Content-Type': a.type, 'Content-Length': a.body.length, ETag: a.etag, 'Cache-Control': 'no-cache', ...HEADERS });
      res.end(req.method === 'HEAD' ? undefined : a.body);
    },
  };
}
