export { trainFamily, scoreFamily, calibrate } from './autoencoder.js';
export type { FamilyModel, TrainOptions, Matrix } from './autoencoder.js';
export { loadModel, saveModel, parseModel, sealModel, modelHash, MODEL_FILE, MODEL_FORMAT } from './bundle.js';
export type { ModelBundle } from './bundle.js';
export { loadTf } from './backend.js';
export type { BackendPreference } from './backend.js';
export { seededRandom, permutation } from './random.js';
export type { Random } from './random.js';
