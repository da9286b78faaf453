/**
 * Issue 16, syslog and the TCP listeners' bounds, over real sockets: RFC 5425 TLS with an
 * allowed and a refused client certificate (made here with openssl), idle connections
 * reaped, a real sender still served while 1,024 idle connections are attempted, and the
 * kernel's UDP receive-buffer drops counted under a bounded flood to loopback.
 */
import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyslogCollector, SYSLOG_TLS_SOURCE, SYSLOG_UDP_SOURCE } from '../collectors/syslog/index.js';
import type { IngestItem, IngestReceipt, IngestSink } from '../collectors/index.js';
import { resolveValidationOptions } from '../events/index.js';
import { metricValue, tempDir, waitFor } from './helpers.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';

/** Records what the collector submits, as stored at once. */
class RecordingSink implements IngestSink {
  readonly items: Array<{ source: string; item: IngestItem }> = [];
  readonly drops: Array<{ source: string; count: number; reason: string; where: string }> = [];
  async submit(source: string, items: readonly IngestItem[]): Promise<IngestReceipt> {
    for (const item of items) this.items.push({ source, item });
    return { accepted: items.length, duplicates: 0, rejected: 0, results: [] };
  }
  dropped(source: string, count: number, reason: string, where = 'collector'): void {
    this.drops.push({ source, count, reason, where });
  }
}

const validation = resolveValidationOptions();
const line = (msg: string) => `<34>1 ${new Date().toISOString()} gw-1 app - - - ${msg}\n`;

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate, a client certificate the CA issued, and two self-signed clients. */
function makeCertificates(dir: string) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, 'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=city test CA', '-days', '2');
  openssl(dir, 'req', '-x509', ...ec, '-keyout', 'server.key', '-out', 'server.crt', '-subj', '/CN=localhost', '-days', '2', '-addext', 'subjectAltName=IP:127.0.0.1');
  openssl(dir, 'req', ...ec, '-keyout', 'gw.key', '-out', 'gw.csr', '-subj', '/CN=gateway-7');
  openssl(dir, 'x509', '-req', '-in', 'gw.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'gw.crt', '-days', '2');
  for (const name of ['listed', 'stranger']) openssl(dir, 'req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${name}`, '-days', '2');
  const fingerprint = execFileSync('openssl', ['x509', '-in', 'listed.crt', '-noout', '-fingerprint', '-sha256'], { cwd: dir, encoding: 'utf8' }).trim().split('=')[1]!;
  const read = (f: string) => readFileSync(join(dir, f));
  return { read, fingerprint };
}

function sendTls(port: number, ca: Buffer, key: Buffer, cert: Buffer, text: string): Promise<'sent' | 'refused'> {
  return new Promise((resolve) => {
    const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port, ca, key, cert, servername: 'localhost' }, () => {
      // RFC 5425 §4.3: octet-counting framing over TLS.
      socket.write(`${Buffer.byteLength(text)} ${text}`);
      socket.end();
    });
    let failed = false;
    socket.on('error', () => (failed = true));
    socket.on('close', () => resolve(failed ? 'refused' : 'sent'));
  });
}

describe('syslog over TLS with client certificates (RFC 5425)', () => {
  let tmp: { dir: string; cleanup: () => void };
  let collector: SyslogCollector;
  const sink = new RecordingSink();
  let certs: ReturnType<typeof makeCertificates>;

  beforeAll(async () => {
    tmp = tempDir();
    certs = makeCertificates(tmp.dir);
    collector = new SyslogCollector(validation, {
      port: 0,
      udp: false,
      tcp: false,
      tls: { port: 0, key: certs.read('server.key'), cert: certs.read('server.crt'), ca: certs.read('ca.crt'), allowFingerprints: [certs.fingerprint] },
    });
    await collector.start(sink);
  });
  afterAll(async () => {
    await collector.stop();
    tmp.cleanup();
  });

  it("stores a message from a client whose certificate the CA issued, with the certificate as the event's agent", async () => {
    await sendTls(collector.ports.tls, certs.read('server.crt'), certs.read('gw.key'), certs.read('gw.crt'), line('from the gateway'));
    const got = await waitFor(() => sink.items.find((i) => i.item.event?.message === 'from the gateway'), 5_000, 'the message');
    expect(got.source).toBe(SYSLOG_TLS_SOURCE);
    expect(got.item.event!.agent).toMatchObject({ type: 'tls-client', name: 'gateway-7' });
    expect(got.item.event!.agent!.id).toMatch(/^sha256:[0-9A-F]{64}$/);
  });

  it('stores a message from a self-signed client on the fingerprint allow-list', async () => {
    await sendTls(collector.ports.tls, certs.read('server.crt'), certs.read('listed.key'), certs.read('listed.crt'), line('from the listed one'));
    const got = await waitFor(() => sink.items.find((i) => i.item.event?.message === 'from the listed one'), 5_000, 'the message');
    expect(got.item.event!.agent!.id).toBe(`sha256:${certs.fingerprint.replace(/:/g, '')}`);
  });

  it('refuses a client with a certificate neither issued nor listed, and one with none, storing nothing', async () => {
    const before = sink.items.length;
    await sendTls(collector.ports.tls, certs.read('server.crt'), certs.read('stranger.key'), certs.read('stranger.crt'), line('from a stranger'));
    const none = await new Promise<string>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port: collector.ports.tls, ca: certs.read('server.crt'), servername: 'localhost' }, () => s.end(`${line('anonymous').length} ${line('anonymous')}`));
      s.on('error', () => resolve('error'));
      s.on('close', () => resolve('closed'));
    });
    expect(none).toMatch(/error|closed/);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.items.length).toBe(before);
  });
});

describe('TCP listener bounds', () => {
  it('reaps a connection that stays idle past the timeout, and keeps one that is sending', async () => {
    const sink = new RecordingSink();
    const collector = new SyslogCollector(validation, { port: 0, udp: false, connections: { idleTimeoutMs: 300 } });
    await collector.start(sink);
    try {
      const idle = connect(collector.ports.tcp, '127.0.0.1');
      const closed = new Promise<number>((resolve) => {
        const t0 = Date.now();
        idle.on('close', () => resolve(Date.now() - t0));
      });
      idle.on('error', () => {});
      const busy = connect(collector.ports.tcp, '127.0.0.1');
      const ticker = setInterval(() => busy.write(line('still here')), 100);
      await closed;
      expect(busy.destroyed).toBe(false);
      clearInterval(ticker);
      busy.destroy();
    } finally {
      await collector.stop();
    }
  });

  it('serves a real sender while 1,024 idle connections are attempted from another address', async () => {
    const sink = new RecordingSink();
    const collector = new SyslogCollector(validation, { host: '127.0.0.1', port: 0, udp: false, connections: { maxPerAddress: 32 } });
    await collector.start(sink);
    const idle: Socket[] = [];
    try {
      // Linux routes all of 127.0.0.0/8 to loopback: the attacker speaks from 127.0.0.2.
      const attempts = Array.from(
        { length: 1024 },
        () =>
          new Promise<void>((resolve) => {
            const s = connect({ host: '127.0.0.1', port: collector.ports.tcp, localAddress: '127.0.0.2' }, () => resolve());
            s.on('error', () => resolve());
            s.on('close', () => resolve());
            idle.push(s);
          }),
      );
      await Promise.all(attempts);
      await waitFor(() => (collector.openConnections <= 32 ? true : undefined), 5_000, 'the per-address cap');
      expect(collector.openConnections).toBeLessThanOrEqual(32);
      const sender = connect(collector.ports.tcp, '127.0.0.1');
      let reset = false;
      sender.on('error', () => (reset = true));
      await new Promise<void>((resolve) => sender.on('connect', () => resolve()));
      sender.end(line('the real one'));
      await waitFor(() => sink.items.find((i) => i.item.event?.message === 'the real one'), 5_000, 'the real sender to be served');
      expect(reset).toBe(false);
    } finally {
      for (const s of idle) s.destroy();
      await collector.stop();
    }
  });
});

describe('UDP receive-buffer drops read from the kernel', () => {
  // /proc/net/udp is Linux's; elsewhere the collector reads nothing and says nothing.
  it.skipIf(process.platform !== 'linux')('counts what the kernel dropped while Vigil could not read, under a bounded flood to loopback', async () => {
    const sink = new RecordingSink();
    // A small receive buffer (the kernel doubles it and keeps a floor) and a fast poll.
    const collector = new SyslogCollector(validation, { port: 0, tcp: false, udpReceiveBufferBytes: 4096, kernelDropsPollMs: 50 });
    await collector.start(sink);
    try {
      const port = collector.ports.udp;
      // The flood runs in a child while this thread is blocked in execFileSync: nothing reads the socket.
      const flood = `const s=require('node:dgram').createSocket('udp4');let n=0;const m=Buffer.from('<34>1 - gw-1 app - - - flood');
        (function go(){for(let i=0;i<200&&n<5000;i++,n++)s.send(m,${port},'127.0.0.1');if(n<5000)setImmediate(go);else setTimeout(()=>s.close(),200)})();`;
      execFileSync(process.execPath, ['-e', flood]);
      await waitFor(() => (sink.drops.some((d) => d.where === 'kernel') ? true : undefined), 5_000, 'the kernel drops to be counted');
      const kernel = () => sink.drops.filter((d) => d.where === 'kernel' && d.source === SYSLOG_UDP_SOURCE).reduce((n, d) => n + d.count, 0);
      expect(kernel()).toBeGreaterThan(0);
      // Every datagram either reached the collector or was counted as dropped by the kernel.
      await waitFor(() => (sink.items.length + kernel() >= 5000 ? true : undefined), 5_000, 'received + dropped to add up');
      expect(sink.items.length + kernel()).toBe(5000);
    } finally {
      await collector.stop();
    }
  });
});

describe("a node's syslog metrics", () => {
  it('export the kernel drops of the UDP socket, and refused TLS clients, from the first scrape', async () => {
    const tmp = tempDir();
    const certs = makeCertificates(tmp.dir);
    const node = await VigilNode.start(
      resolveConfig({
        dataDir: tmp.dir,
        api: { port: 0 },
        syslog: { enabled: true, port: 0, tls: { port: 0, key: join(tmp.dir, 'server.key'), cert: join(tmp.dir, 'server.crt'), allowFingerprints: [certs.fingerprint] } },
      }),
      { logger: silentLogger() },
    );
    try {
      await sendTls(node.syslog!.ports.tls, certs.read('server.crt'), certs.read('stranger.key'), certs.read('stranger.crt'), line('refused'));
      const text = await (await fetch(`${node.url}/metrics`)).text();
      expect(text).toMatch(/vigil_events_dropped_total\{source="syslog-udp",reason="receive-buffer",where="kernel"\} 0/);
      expect(metricValue(text, 'vigil_ingest_refused_total', { source: 'syslog-tls', reason: 'certificate' })).toBeGreaterThanOrEqual(1);
    } finally {
      await node.stop();
      tmp.cleanup();
    }
  });
});
