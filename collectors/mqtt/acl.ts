/**
 * MQTT topic-filter containment for subscription ACLs (MQTT 3.1.1 §4.7): whether every
 * topic a requested filter can match is also matched by an allowed one. A grant of
 * `city/v2x/V-0001/#` must not let `city/#` or `+/v2x/+/bsm` through.
 */

/** Strip `$share/<group>/` (MQTT 5 shared subscriptions): the ACL is on the topic filter. */
function unshared(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const slash = filter.indexOf('/', '$share/'.length);
  return slash === -1 ? '' : filter.slice(slash + 1);
}

export function filterCovers(allowed: string, requested: string): boolean {
  const a = unshared(allowed).split('/');
  const r = unshared(requested).split('/');
  if (r.length === 1 && r[0] === '') return false;
  for (let i = 0; i < r.length; i++) {
    const al = a[i];
    const rl = r[i]!;
    if (al === undefined) return false;
    if (al === '#') return true;
    if (rl === '#') return false; // only '#' covers '#'
    if (al === '+') continue; // '+' covers any one level, '+' included
    if (rl === '+' || al !== rl) return false;
  }
  // `a/#` also matches `a` itself (§4.7.1.2): an allowed filter one level longer ending in '#' covers it.
  return a.length === r.length || (a.length === r.length + 1 && a[r.length] === '#');
}
