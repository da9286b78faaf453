/**
 * The detector's one error class. Untrusted input (events, rule YAML posted through the
 * API, model files on disk) never throws anything else; `code` says what went wrong and
 * whether retrying with the same input can help (it cannot, for all of these).
 */
import { CodedError } from '../events/index.js';

export type DetectorErrorCode =
  /** An option is missing, of the wrong type or out of range (named in the message). */
  | 'BAD_OPTION'
  /** A Sigma rule that cannot be parsed or compiled (bad YAML, unknown modifier, bad condition). */
  | 'RULE_INVALID'
  /** A correlation, filter or runtime call names a rule that does not exist. */
  | 'RULE_NOT_FOUND'
  /** Two rules with the same id. */
  | 'RULE_DUPLICATE'
  /** The saved model is missing, truncated, altered (hash mismatch) or from another version. */
  | 'MODEL_INVALID'
  /** No model has been trained or loaded, but scoring needs one. */
  | 'MODEL_MISSING'
  /** Training was given too little data to learn from. */
  | 'TRAINING_DATA'
  /** No TensorFlow.js backend could be initialised. */
  | 'BACKEND_UNAVAILABLE'
  /** Evaluation input (labels, data set files) that cannot be used. */
  | 'EVAL_INPUT';

export class DetectorError extends CodedError<DetectorErrorCode> {
  override readonly name = 'DetectorError';
}
