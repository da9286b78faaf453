export { auroc, auprc, roc, confusion, bestF1Threshold } from './metrics.js';
export type { Curve, Confusion } from './metrics.js';
export { rocSvg } from './svg.js';
