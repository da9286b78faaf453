import type { Curve } from './metrics.js';

/** A ROC picture as standalone SVG: one line per curve, the chance diagonal, a legend with AUROC. */
export function rocSvg(curves: Array<{ label: string; curve: Curve; auroc: number }>, title = 'ROC'): string {
  const W = 520;
  const H = 520;
  const m = 50;
  const size = W - 2 * m;
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const x = (f: number) => (m + f * size).toFixed(1);
  const y = (t: number) => (m + (1 - t) * size).toFixed(1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 20 * Math.max(0, curves.length - 8)}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<rect x="${m}" y="${m}" width="${size}" height="${size}" fill="none" stroke="#333"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#aaa" stroke-dasharray="4 4"/>`,
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">false-positive rate</text>`,
    `<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">true-positive rate</text>`,
  ];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<text x="${x(t)}" y="${m + size + 15}" text-anchor="middle">${t}</text>`, `<text x="${m - 6}" y="${y(t)}" text-anchor="end" dy="4">${t}</text>`);
  }
  curves.forEach((c, i) => {
    const colour = colours[i % colours.length]!;
    // thin out to at most ~800 points: the picture cannot show more
    const step = Math.max(1, Math.floor(c.curve.fpr.length / 800));
    const pts: string[] = [];
    for (let k = 0; k < c.curve.fpr.length; k += step) pts.push(`${x(c.curve.fpr[k]!)},${y(c.curve.tpr[k]!)}`);
    pts.push(`${x(c.curve.fpr.at(-1)!)},${y(c.curve.tpr.at(-1)!)}`);
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
    parts.push(`<text x="${m + size - 8}" y="${m + size - 10 - 16 * (curves.length - 1 - i)}" text-anchor="end" fill="${colour}">${esc(c.label)} (AUROC ${c.auroc.toFixed(4)})</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
