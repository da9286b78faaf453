/**
 * The detector's public face. The pipeline creates one `Detector` per worker and calls:
 *
 * ```ts
 * const detector = await Detector.create({ dataDir, incidents: storeIncidentBook, logger, clock });
 * const out = detector.process(batch);   // events of a batch, in time order
 * persist(out.alerts, out.incidents, out.reputation);
 * setInterval(() => persist(detector.tick(Date.now())), 5_000);  // device gone silent
 * detector.rules.add(yaml); detector.rules.disable(id); detector.rules.addException(id, selection);
 * detector.rules.addSuppression(id, { timespanMs, groupBy });
 * detector.modelInfo; // { hash, backend, threshold } | undefined
 * detector.setModel(bundle);  // hot-swap: ModelBundle | null; modelInfo follows
 * ```
 *
 * A model for the demo, trained in seconds from unlabelled normal traffic (events in time order):
 *
 * ```ts
 * trainDemoModel(batches: AsyncIterable<readonly VigilEvent[]> | Iterable<readonly VigilEvent[]>,
 *                options?: DemoModelOptions): Promise<ModelBundle>
 * // DemoModelOptions: TrainDetectorOptions (epochs 8, maxRows 20000, features: { city }, onProgress, …)
 * //                   plus threshold (default 99.5). Save it with saveModel(join(dataDir, 'model'), bundle).
 * // From the simulator: trainDemoModelFromSimulator(options) in pipeline/demo.ts.
 * ```
 */
export { SEVERITIES } from './types.js';
export type { Severity, AlertOrigin, Alert, AlertFold, Incident, IncidentStatus, Resolution, ReputationPoint } from './types.js';
export { Detector } from './detector.js';
export type { DetectorOptions, DetectorOutput, DetectorLimits, DetectorLogger, ModelInfo } from './detector.js';
export { DetectorError } from './errors.js';
export type { DetectorErrorCode } from './errors.js';
export { MemoryIncidentBook } from './incidents.js';
export { incidentSeverity, resolveSeverityOptions, tallyAlert, isRuleDetector } from './severity.js';
export type { Criticality, SeverityOptions, SeverityEvidence, SeverityDecision, SeverityTally } from './severity.js';
export type { IncidentBook } from './incidents.js';
export { RuleBook, STARTER_PACK_DIR, loadRuleDir, loadRuleFiles, loadRuleSources, rulesFolder, defaultSigmaMapping, parseMapping, DEFAULT_MAPPING_FILE } from './rules/index.js';
export type { RuleHit, RuleMeta, RuleListing, RuleExplanation, RuleStatus, RuleBookOptions, SigmaMapping, Suppression, CorrelationType, MatchContext } from './rules/index.js';
export type { FileResult } from './rules/index.js';
export { ReputationBook, resolveReputationOptions } from './reputation/index.js';
export type { ReputationOptions } from './reputation/index.js';
export { FeatureExtractor, FEATURE_NAMES, MODEL_FEATURES, FAMILIES, familyOf, RobustBaseline, CaKalman, chi2Quantile2 } from './features/index.js';
export type { Family, FeatureBatch, CityMap, RoadsideUnit, FeatureOptions } from './features/index.js';
export { cityMapFromFile, cityCoverage, RoadIndex, ServiceArea, CityLearner, LearntCityIndex } from './features/index.js';
export type { LearntCity, CityLearnOptions } from './features/index.js';
export { trainFamily, scoreFamily, trainForest, scoreForest, loadModel, saveModel, sealModel, modelHash, loadTf, seededRandom, permutation } from './model/index.js';
export type { ModelBundle, FamilyModel, TrainOptions, Matrix, BackendPreference, IsolationForest, ForestOptions } from './model/index.js';
export { trainDetectorModel, trainDemoModel, chooseThreshold, thresholdFor } from './train.js';
export type { TrainDetectorOptions, DemoModelOptions } from './train.js';
export { auroc, auprc, roc, confusion, bestF1Threshold, rocSvg, scoreWindows } from './eval/index.js';
export type { Curve, Confusion, LabelledWindow, WindowScore } from './eval/index.js';
export { buildReport, formatReport, reportRow, readLabels, scoreLabelled, EVAL_TICK_MS, LEARNT_CITY_RULE, PlausibilityBaseline, baselineScores, selectModel, rankAverage, explainFlags, MODEL_ONLY } from './eval/index.js';
export type { Report, Row, Labels, EventLabel, ScoredEvent, ScoredSet, ScoreOptions, BaselineCheck, Explanation } from './eval/index.js';
