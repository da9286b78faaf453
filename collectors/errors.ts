export type CollectorErrorCode =
  | 'BAD_OPTION'
  | 'LISTEN_FAILED'
  | 'CONNECTION_FAILED'
  | 'SOURCE_UNREADABLE'
  | 'PIPELINE_FULL'
  | 'STOPPED';

/**
 * A collector's failure. `retriable` says whether trying again can help (after kafkajs's
 * KafkaJSNonRetriableError): a refused connection may heal, a bad option never will.
 */
export class CollectorError extends Error {
  override readonly name = 'CollectorError';
  constructor(
    readonly code: CollectorErrorCode,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
