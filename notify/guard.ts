/**
 * Where connectors may go, and how their secrets are read. Outbound requests are a way for
 * whoever controls a URL in the configuration to make this node probe its own network
 * (SSRF), so only loopback and the hosts an operator named are reachable, and redirects are
 * refused rather than followed (http.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { NotifyError } from './errors.js';
import type { SecretRef } from './config.js';

/** Host names and addresses that are this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/** Refuse (at start) a destination neither loopback nor in `allowHosts`. */
export function checkHost(host: string, allowHosts: readonly string[], what: string): void {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopbackHost(h) || allowHosts.some((a) => a.replace(/^\[|\]$/g, '').toLowerCase() === h)) return;
  throw new NotifyError('URL_REFUSED', `${what}: ${h} is not loopback and not in notify.allowHosts`, false);
}

export function checkUrl(url: string, allowHosts: readonly string[], what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NotifyError('BAD_OPTION', `${what}: expected an http(s) URL`, false);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new NotifyError('BAD_OPTION', `${what}: expected http or https, got ${parsed.protocol}`, false);
  if (parsed.username || parsed.password) throw new NotifyError('BAD_OPTION', `${what}: credentials do not belong in the URL; use the connector's secret`, false);
  checkHost(parsed.hostname, allowHosts, what);
  return parsed;
}

/**
 * A secret from a file the owner alone can read (as ssh insists for its keys: a secret that
 * others can read is already disclosed) or from the environment.
 */
export function readSecret(ref: SecretRef, what: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (ref.env !== undefined) {
    const value = env[ref.env];
    if (value === undefined || value === '') throw new NotifyError('SECRET_UNREADABLE', `${what}: environment variable ${ref.env} is not set`, false);
    return value;
  }
  const path = ref.file!;
  let text: string;
  try {
    const mode = statSync(path).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new NotifyError('SECRET_UNREADABLE', `${what}: ${path} has mode ${mode.toString(8)}; expected 600 (readable by the owner only)`, false);
    }
    text = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    if (err instanceof NotifyError) throw err;
    throw new NotifyError('SECRET_UNREADABLE', `${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, false, { cause: err });
  }
  if (text.length === 0) throw new NotifyError('SECRET_UNREADABLE', `${what}: ${path} is empty`, false);
  return text;
}
