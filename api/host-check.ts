/**
 * The `Host` header checked against the names this node serves. DNS rebinding: a page on
 * evil.example re-points its own name at 127.0.0.1 and its scripts then talk to this node
 * as same-origin; the browser still sends `Host: evil.example`, which is how it is caught
 * (the defence the WHATWG Fetch standard and every local dev server rely on).
 */

/** Names a loopback node answers to with no configuration. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** The host part of a `Host` header (no port, no brackets, lower case, no trailing dot), or undefined if malformed. */
export function hostName(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  let name: string;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end === -1 || (end + 1 < h.length && !/^:\d{1,5}$/.test(h.slice(end + 1)))) return undefined;
    name = h.slice(1, end);
  } else {
    const colon = h.indexOf(':');
    if (colon !== -1 && !/^:\d{1,5}$/.test(h.slice(colon))) return undefined;
    name = colon === -1 ? h : h.slice(0, colon);
  }
  name = name.replace(/\.$/, '');
  return /^[a-z0-9.:_-]{1,255}$/.test(name) ? name : undefined;
}

/**
 * A predicate on `Host` headers: true for a loopback name, `bindHost` (the address the
 * node listens on, unless a wildcard), or one of `allowed` (`*`: any). Ports are ignored:
 * what rebinding changes is the name.
 */
export function hostCheck(allowed: readonly string[], bindHost?: string): (header: string | undefined) => boolean {
  if (allowed.includes('*')) return () => true;
  const names = new Set<string>(LOOPBACK_HOSTS);
  for (const n of [...allowed, ...(bindHost && bindHost !== '0.0.0.0' && bindHost !== '::' ? [bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost] : [])]) {
    const name = hostName(n);
    if (name) names.add(name);
  }
  return (header) => {
    const name = header === undefined ? undefined : hostName(header);
    return name !== undefined && names.has(name);
  };
}
