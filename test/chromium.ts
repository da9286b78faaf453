/**
 * Debian's headless Chromium for the browser tests, driven by playwright-core (never
 * `npx playwright install`: it downloads). A test file asks `chromiumFor(name)` whether to
 * run, which says why it skips when the browser is missing.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { resolveConfig, type VigilConfigInput } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether Chromium is here; if not, warns that `what` is skipped and why. */
export function chromiumFor(what: string): boolean {
  const have = existsSync(CHROMIUM);
  if (!have) console.warn(`${what} skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/apt-packages lists it)`);
  return have;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** A node for a page test in `dataDir`: API on a free port, a checkpoint every 200 ms, no MQTT broker, no syslog. */
export function startPageNode(dataDir: string, extra: VigilConfigInput = {}): Promise<VigilNode> {
  return VigilNode.start(
    resolveConfig({ dataDir, api: { port: 0 }, ledger: { checkpointIntervalMs: 200 }, mqtt: { broker: { enabled: false } }, syslog: { enabled: false }, ...extra }),
    { logger: silentLogger() },
  );
}

/**
 * A page at 1440×900 (the size the screenshots are checked at) in a fresh context, 45 s
 * for each step on a loaded machine, its uncaught errors pushed to `problems` (after
 * `label: ` when given).
 */
export async function openPage(browser: Browser, problems: string[], options: { label?: string; downloads?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: options.downloads ?? false });
  const page = await context.newPage();
  page.setDefaultTimeout(45_000);
  const prefix = options.label ? `${options.label}: ` : '';
  page.on('pageerror', (e) => problems.push(`${prefix}${e.message}`));
  return page;
}
