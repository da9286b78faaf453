export type NotifyErrorCode =
  /** A connector option that cannot work (caught at start). */
  | 'BAD_OPTION'
  /** A secret file that is missing, unreadable or readable by others. */
  | 'SECRET_UNREADABLE'
  /** A destination outside loopback that `notify.allowHosts` does not name (SSRF). */
  | 'URL_REFUSED'
  /** A 3xx answer: redirects are never followed, since they could lead to another host. */
  | 'REDIRECT_REFUSED'
  /** The receiver answered with an error status. */
  | 'HTTP_STATUS'
  /** No answer in time, or the connection failed. */
  | 'NETWORK'
  /** The SMTP server refused the message or the credentials. */
  | 'SMTP'
  /** The delivery queue of a connector was full, or the notifier was stopping. */
  | 'QUEUE_FULL'
  | 'STOPPED';

/**
 * A delivery failure. `retriable` says whether trying again can help (after kafkajs's
 * KafkaJSNonRetriableError): a 503 or a reset connection may heal, a 401 or a refused URL
 * never will, so those go to the dead letter at once. `retryAfterMs` carries a receiver's
 * `Retry-After`.
 */
export class NotifyError extends Error {
  override readonly name = 'NotifyError';
  constructor(
    readonly code: NotifyErrorCode,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
  readonly retryAfterMs?: number;
}
