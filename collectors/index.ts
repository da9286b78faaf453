export { PipelineFullError } from './sink.js';
export type { IngestItem, IngestSink, IngestReceipt, SubmitOptions, EventSource } from './sink.js';
export { CollectorError } from './errors.js';
export type { CollectorErrorCode } from './errors.js';
export { createHttpCollector, toItems } from './http/index.js';
export type { HttpCollectorOptions, IngestResponse } from './http/index.js';
export * from './file/index.js';
