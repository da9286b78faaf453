export { auroc, auprc, roc, confusion, bestF1Threshold } from './metrics.js';
export type { Curve, Confusion } from './metrics.js';
export { rocSvg } from './svg.js';
export { scoreWindows } from './windows.js';
export type { LabelledWindow, WindowAlert, WindowScore } from './windows.js';
