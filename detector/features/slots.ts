/**
 * Named feature slots. Each family declares its features once, as a list of names; the
 * index of every name is derived from that list, so extractors write
 * `out[offset + S.speed_err] = …` instead of a position counted by hand, and a feature
 * added to or removed from the list moves every slot with it.
 */
export type Slots<N extends readonly string[]> = { readonly [K in N[number]]: number };

/** The slot of each name in `names`; a name listed twice is a programming error. */
export function slots<const N extends readonly string[]>(names: N): Slots<N> {
  const out: Record<string, number> = {};
  names.forEach((name, i) => {
    if (name in out) throw new Error(`feature ${name} listed twice`);
    out[name] = i;
  });
  return Object.freeze(out) as Slots<N>;
}
