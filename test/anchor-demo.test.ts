/**
 * `vigil start --demo` (what `npm start` runs) on a fresh data directory, with no
 * configuration: the auditor's page in a real headless Chromium shows the
 * node's anchors on its local anvil chain and the two witnesses' cosignatures; then an
 * alert's bundle is verified in the browser with its anchor checked on chain through the
 * chain's RPC URL. Screenshots go to test-artifacts/anchor/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { exited, freePort, repoRoot, tempDir, vigilBin, waitFor } from './helpers.js';
import { chromiumFor, launchChromium } from './chromium.js';

const haveChromium = chromiumFor('npm start browser test');

const ARTIFACTS = join(repoRoot, 'test-artifacts', 'anchor');

describe.skipIf(!haveChromium)('npm start on a fresh data directory', () => {
  const tmp = tempDir('vigil-demo-anchor-');
  let child: ChildProcess | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await exited(child);
    }
    tmp.cleanup();
  });

  it('shows anchors and cosignatures on the auditor page, and checks an anchor in the browser', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const [port, mqtt, syslog] = [await freePort(), await freePort(), await freePort()];
    const dataDir = join(tmp.dir, 'data');
    const started = Date.now();
    // As `npm start` runs it; only the ports differ, so that tests running side by side do not collide.
    child = spawn(process.execPath, [vigilBin, 'start', '--demo', '--data-dir', dataDir, '--port', String(port), '--mqtt-port', String(mqtt), '--syslog-port', String(syslog)], {
      cwd: tmp.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' },
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(() => fetch(`${url}/healthz`).then((r) => (r.ok ? true : undefined), () => undefined), 180_000, `vigil start --demo (${output})`);
    const healthyAt = Date.now() - started;
    // The banner follows once the demo's tokens and sensor key are made and ledgered.
    await waitFor(() => (output.includes('Stop with Ctrl-C') ? true : undefined), 60_000, `the start banner (${output})`);
    // The pages are bundled on their first request: ask for them now, as a person's first visit would.
    await fetch(`${url}/assets/app.js`).then((r) => r.arrayBuffer());
    const bundledAt = Date.now() - started;
    expect(output).toMatch(/anchors +chain 31337 via http:\/\/127\.0\.0\.1:\d+, contract 0x[0-9a-f]{40} \(local anvil\)/);
    const tokens = JSON.parse(readFileSync(join(dataDir, 'demo-tokens.json'), 'utf8')) as Record<string, string>;

    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1360, height: 1400 } })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${url}/`, { timeout: 60_000 });
    await page.getByLabel('API token').fill(tokens['auditor']!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(`${url}/#/ledger`);
    // No deadline asserted (tests never time the machine): the time it took is printed, and
    // on an idle machine it is well under the minute the issue asks for.
    await page.locator('.anchor-row').first().waitFor({ timeout: 180_000 });
    await page.locator('.cosignature').nth(1).waitFor({ timeout: 180_000 });
    const shownWithin = Date.now() - started;
    process.stderr.write(`anchor demo: healthy after ${healthyAt} ms, pages bundled after ${bundledAt} ms, anchors and cosignatures shown after ${shownWithin} ms\n`);
    // The witnesses answer in any order.
    expect((await page.locator('.cosignature').allTextContents()).sort()).toEqual([expect.stringMatching(/^vigil-demo-witness-1 key [0-9a-f]{8} at /), expect.stringMatching(/^vigil-demo-witness-2 key [0-9a-f]{8} at /)]);
    await page.screenshot({ path: join(ARTIFACTS, '01-ledger-anchors.png'), fullPage: true });

    // An alert whose bundle carries an anchor (anchors follow every 60 checkpoints: about a minute).
    const gql = async <T,>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
      const r = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens['auditor']}` }, body: JSON.stringify({ query, variables }) });
      const body = (await r.json()) as { data?: T; errors?: unknown };
      if (!r.ok || !body.data) throw new Error(`GraphQL answered ${r.status}: ${JSON.stringify(body).slice(0, 300)}`);
      return body.data;
    };
    // The token shares the node's per-token rate limit with the browser's page: poll at a
    // person's pace (every 2 s, the newest five alerts), not in a tight loop.
    const pause = () => new Promise((r) => setTimeout(r, 2_000));
    const bundle = await waitFor(
      async () => {
        const { alerts } = await gql<{ alerts: { edges: { node: { id: string } }[] } }>('{ alerts(first: 20) { edges { node { id } } } }');
        for (const { node } of [...alerts.edges].reverse().slice(0, 5)) {
          const { evidence } = await gql<{ evidence: { json: { anchor?: unknown } } | null }>('query ($id: ID!) { evidence(id: $id) { json } }', { id: node.id });
          if (evidence?.json.anchor) return evidence.json;
        }
        await pause();
        return undefined;
      },
      150_000,
      'an alert bundle with an anchor',
    );
    const bundlePath = join(tmp.dir, 'bundle.json');
    writeFileSync(bundlePath, JSON.stringify(bundle, null, 2));
    await page.getByRole('link', { name: 'Verify evidence' }).click();
    await expect.poll(() => page.getByLabel('Log public key (PEM, hex or base64)').inputValue()).toContain('BEGIN PUBLIC KEY');
    await page.getByLabel('Evidence bundle file').setInputFiles(bundlePath);
    const chainStep = page.locator('.step', { hasText: 'Anchor found on chain' });
    await chainStep.waitFor({ timeout: 30_000 });
    await expect.poll(() => chainStep.getAttribute('class')).toContain('step-passed');
    expect(await chainStep.textContent()).toMatch(/chain 31337, block \d+ \(\d+ confirmation\(s\)\), tx 0x[0-9a-f]{64}/);
    expect(await page.getByRole('heading', { level: 2, name: /Verified|Not verified/ }).textContent()).toBe('✓ Verified');
    await page.screenshot({ path: join(ARTIFACTS, '02-verify-anchor.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 300_000);
});
