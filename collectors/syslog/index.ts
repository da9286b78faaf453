export { SyslogCollector, SYSLOG_UDP_SOURCE, SYSLOG_TCP_SOURCE, SYSLOG_TLS_SOURCE } from './server.js';
export type { SyslogCollectorOptions, SyslogTlsOptions } from './server.js';
export { udpKernelDrops } from './kernel-drops.js';
export { parseSyslog, syslogToItem, toRecord } from './parse.js';
export type { SyslogMessage, Peer, ParseResult } from './parse.js';
export { SyslogFramer } from './framing.js';
export type { Frame } from './framing.js';
export { authFromMessage } from './auth.js';
export type { AuthOutcome } from './auth.js';
