/**
 * Why an input did not become an event. Every rejection carries one of these codes, a
 * short message saying what was expected and what came, and (where it applies) the field.
 */
export type RejectionCode =
  /** The bytes are not valid UTF-8. */
  | 'INVALID_UTF8'
  /** The record is larger than the configured limit (it was not parsed). */
  | 'TOO_LARGE'
  /** An empty line or body. */
  | 'EMPTY'
  /** Not parseable JSON (truncated, trailing garbage, …). */
  | 'INVALID_JSON'
  /** JSON that is not an object (array, string, number, null). */
  | 'NOT_AN_OBJECT'
  /** `kind` names no input format Vigil knows. */
  | 'UNKNOWN_KIND'
  /** A required field is absent. */
  | 'MISSING_FIELD'
  /** A field has the wrong JSON type. */
  | 'WRONG_TYPE'
  /** NaN, Infinity, or a number too large to be finite (1e400). */
  | 'NON_FINITE_NUMBER'
  /** A number outside its physical or protocol range (latitude 91, port 70000). */
  | 'OUT_OF_RANGE'
  /** A string that does not have the required form (an IP address, an entity id, a hex CAN id). */
  | 'INVALID_FORMAT'
  /** A value not among the allowed ones (an `outcome` that is neither success nor failure). */
  | 'INVALID_VALUE'
  /** A field the format does not define; kept verbatim in the dead letters rather than silently dropped. */
  | 'UNKNOWN_FIELD'
  /** The timestamp is unparseable, too far in the past, or too far in the future. */
  | 'TIMESTAMP_OUT_OF_RANGE'
  /** The channel's identity disagrees with the payload's (an MQTT topic naming another device). */
  | 'ID_MISMATCH'
  /** The sender's credential may not speak for this entity or roadside unit (a sensor key used outside its scope). */
  | 'UNAUTHORIZED_ENTITY'
  /** A line of a structured format (syslog, CSV, candump) that cannot be parsed. */
  | 'PARSE_ERROR';

export interface Rejection {
  code: RejectionCode;
  /** What was expected and what came, in one short sentence. */
  message: string;
  /** Dotted path of the offending field, when one field is at fault. */
  field?: string;
}

/**
 * The base of a part's one error class (STYLE.md 4): a string-literal code a caller
 * switches on, a short message, and the cause. Parts that import `events/` extend it.
 */
export class CodedError<C extends string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown by the event model's functions that cannot return a rejection (programming errors, bad options). */
export class EventError extends Error {
  override readonly name = 'EventError';
  constructor(
    /** `CITY_INVALID`: a city file (GeoJSON) or an OpenStreetMap extract that cannot be used, the message naming the feature or line. */
    readonly code: RejectionCode | 'BAD_OPTION' | 'CITY_INVALID',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function reject(code: RejectionCode, message: string, field?: string): Rejection {
  return field === undefined ? { code, message } : { code, message, field };
}
