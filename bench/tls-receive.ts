/**
 * What TLS itself costs a syslog receiver (bench/auth.ts): the bench's syslog load (the same
 * 32 connections of RFC 5424 lines) read by a server that only counts the bytes, once over
 * plain TCP and once over TLS with a client certificate, the sender in a child process so
 * that this process's CPU is the receiver's alone. The difference per line is the record
 * layer (handshakes, AES-GCM decryption, 16 KiB records instead of 64 KiB reads), with none
 * of Vigil's parsing or storing: the share of the TLS/TCP gap that the crypto accounts for.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { BenchAuth } from './credentials.js';

export interface ReceiveCost {
  /** This process's CPU per line received, microseconds. */
  cpuUsPerLine: number;
  /** Reads delivered to JavaScript, and their mean size in bytes. */
  reads: number;
  bytesPerRead: number;
  /** The negotiated suite and protocol (TLS only). */
  cipher?: string;
}

/** The sender: the bench's lines (bench/collectors.ts), one body per connection, written at once. */
const SENDER = `
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
const [mode, port, lines, conns, tls] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), JSON.parse(process.argv[5] || 'null')];
const now = Date.now(); const perConn = Math.ceil(lines / conns);
const bodies = Array.from({ length: conns }, (_, c) => {
  const out = [];
  for (let i = 0; i < perConn; i++) { const n = c * perConn + i; out.push('<38>1 ' + new Date(now - 3600000 + n).toISOString() + ' gw-' + (n % 200) + ' sshd ' + (1000 + (n % 5000)) + ' - - Failed password for user' + (n % 50) + ' from 10.' + ((n >> 16) & 255) + '.' + ((n >> 8) & 255) + '.' + (n & 255) + ' port ' + (1024 + (n % 60000)) + ' ssh2\\n'); }
  return Buffer.from(out.join(''));
});
process.stdout.write('ready\\n');
await new Promise((r) => process.stdin.once('data', r));
const opts = tls ? { host: '127.0.0.1', port, servername: 'localhost', ca: Buffer.from(tls.ca, 'base64'), key: Buffer.from(tls.key, 'base64'), cert: Buffer.from(tls.cert, 'base64') } : undefined;
await Promise.all(bodies.map((body) => new Promise((res, rej) => {
  const sock = opts ? tlsConnect(opts, () => sock.end(body)) : connect(port, '127.0.0.1', () => sock.end(body));
  sock.on('error', rej); sock.on('close', res);
})));
`;

/** Receive `lines` syslog lines over `conns` connections, TCP or (with `auth`) TLS, and count this process's CPU. */
export async function measureReceive(lines: number, conns: number, dataDir: string, auth?: BenchAuth): Promise<ReceiveCost> {
  let reads = 0;
  let bytes = 0;
  let closed = 0;
  let cipher: string | undefined;
  let allClosed!: () => void;
  const finished = new Promise<void>((r) => (allClosed = r));
  const onSocket = (socket: Socket) => {
    socket.on('data', (chunk: Buffer) => {
      reads++;
      bytes += chunk.length;
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (++closed === conns) allClosed();
    });
  };
  const server = auth
    ? createTlsServer({ key: readFileSync(join(dataDir, 'server.key')), cert: readFileSync(join(dataDir, 'server.crt')), requestCert: true, rejectUnauthorized: false }, (s: TLSSocket) => {
        const c = s.getCipher();
        cipher = `${c.standardName ?? c.name} ${s.getProtocol() ?? ''}`.trim();
        onSocket(s);
      })
    : createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const tls = auth ? JSON.stringify({ ca: auth.tls.ca.toString('base64'), key: auth.tls.key.toString('base64'), cert: auth.tls.cert.toString('base64') }) : '';
  const child = spawn(process.execPath, ['--input-type=module', '-e', SENDER, auth ? 'tls' : 'tcp', String(port), String(lines), String(conns), tls], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolveReady, rejectReady) => {
      child.stdout.once('data', () => resolveReady());
      child.once('exit', (code) => rejectReady(new Error(`the syslog sender exited (${code}) before it was ready`)));
    });
    const cpu0 = process.cpuUsage();
    child.stdin.write('go\n');
    await finished;
    const cpu = process.cpuUsage(cpu0);
    const sent = Math.ceil(lines / conns) * conns;
    return { cpuUsPerLine: Number(((cpu.user + cpu.system) / sent).toFixed(3)), reads, bytesPerRead: Math.round(bytes / Math.max(reads, 1)), ...(cipher ? { cipher } : {}) };
  } finally {
    child.kill();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
