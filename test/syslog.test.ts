import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { SyslogCollector, SyslogFramer, parseSyslog, syslogToItem, authFromMessage } from '../collectors/syslog/index.js';
import { resolveValidationOptions } from '../events/index.js';
import type { IngestItem, IngestReceipt, IngestSink } from '../collectors/index.js';
import { metricValue, tempDir, waitFor } from './helpers.js';

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);
const validation = resolveValidationOptions({ now: () => NOW });
const peer = { address: '192.0.2.7' };
const b = (s: string) => Buffer.from(s, 'utf8');

describe('RFC 5424 messages', () => {
  it('keep header fields and structured data in a log event', () => {
    const line = '<165>1 2025-06-15T11:59:58.003Z gw-17.city mqttd 4242 ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][meta x="a\\"b\\]c"] \ufeffgateway restarted';
    const item = syslogToItem(b(line), peer, validation);
    expect(item.rejection).toBeUndefined();
    const e = item.event!;
    expect(e.vigil.kind).toBe('log');
    expect(e.vigil.entity).toEqual({ id: 'gw-17.city', type: 'host' });
    expect(e['@timestamp']).toBe('2025-06-15T11:59:58.003Z');
    expect(e.message).toBe('gateway restarted');
    expect(e.process).toEqual({ name: 'mqttd', pid: 4242 });
    expect(e.log?.syslog).toMatchObject({ facility: { code: 20 }, severity: { code: 5 }, version: 1, msgid: 'ID47' });
    expect(e.log?.syslog?.structured_data).toEqual({ 'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' }, meta: { x: 'a"b]c' } });
    // ECS: the sender is log.source.address; source.* would claim it is the peer the line is about
    expect(e.log?.source?.address).toBe('192.0.2.7');
    expect(e.source).toBeUndefined();
  });

  it('take the receive time for a nil timestamp and the sender address for a nil hostname', () => {
    const item = syslogToItem(b('<13>1 - - - - - - hello'), peer, validation);
    expect(item.event?.vigil.ts).toBe(NOW);
    expect(item.event?.vigil.entity.id).toBe('192.0.2.7');
  });

  it.each([
    ['an unterminated SD element', '<13>1 - host app - - [x a="1" rest'],
    ['a missing STRUCTURED-DATA', '<13>1 - host app - -'],
    ['an impossible date', '<13>1 2025-02-30T00:00:00Z host app - - - x'],
    ['a PRI out of range', '<192>1 - host app - - - x'],
    ['a PRI with a leading zero', '<013>1 - host app - - - x'],
  ])('reject %s with PARSE_ERROR and a reason', (_what, line) => {
    const item = syslogToItem(b(line), peer, validation);
    expect(item.rejection?.code).toBe('PARSE_ERROR');
    expect(item.rejection?.message.length).toBeGreaterThan(5);
  });
});

describe('RFC 3164 messages', () => {
  it('read the BSD header: time without year, host, tag and pid', () => {
    const parsed = parseSyslog(b('<38>Jun 15 11:58:00 cam-4 dropbear[991]: Child connection from 203.0.113.9:5555'), NOW);
    expect(parsed.ok && parsed.message).toMatchObject({ format: 'rfc3164', facility: 4, severity: 6, hostname: 'cam-4', app: 'dropbear', pid: 991, ts: Date.UTC(2025, 5, 15, 11, 58, 0) });
  });

  it('put a late-December message read in early January into the previous year', () => {
    const parsed = parseSyslog(b('<13>Dec 31 23:59:59 h app: x'), Date.UTC(2026, 0, 1, 0, 0, 5));
    expect(parsed.ok && parsed.message.ts).toBe(Date.UTC(2025, 11, 31, 23, 59, 59));
  });

  it('keep a line without PRI as a user.notice log from the sender, not throw it away', () => {
    const item = syslogToItem(b('just some text'), peer, validation);
    expect(item.event?.vigil.kind).toBe('log');
    expect(item.event?.message).toBe('just some text');
    expect(item.event?.vigil.entity.id).toBe('192.0.2.7');
  });

  it('reject invalid UTF-8 with INVALID_UTF8, keeping the bytes', () => {
    const raw = Buffer.from([0x3c, 0x31, 0x33, 0x3e, 0xff, 0xfe]);
    const item = syslogToItem(raw, peer, validation);
    expect(item.rejection?.code).toBe('INVALID_UTF8');
    expect(Buffer.from(item.raw as Uint8Array)).toEqual(raw);
  });
});

describe('login outcomes in syslog', () => {
  it('turn an sshd failed password into an auth failure with user and source address', () => {
    const item = syslogToItem(b('<38>Jun 15 11:59:00 gw-3 sshd[1234]: Failed password for invalid user admin from 203.0.113.50 port 52144 ssh2'), peer, validation);
    const e = item.event!;
    expect(e.vigil.kind).toBe('auth');
    expect(e.event.outcome).toBe('failure');
    expect(e.user?.name).toBe('admin');
    expect(e.source?.ip).toBe('203.0.113.50');
    expect(e.device?.id).toBe('gw-3');
    expect(e.network?.protocol).toBe('ssh');
  });

  it.each([
    ['sshd', 'Accepted publickey for ops from 2001:db8::5 port 40000 ssh2', { user: 'ops', outcome: 'success', src: '2001:db8::5', port: 40000, method: 'ssh' }],
    ['sshd', 'Invalid user pi from 198.51.100.4 port 2222', { user: 'pi', outcome: 'failure', src: '198.51.100.4', port: 2222, method: 'ssh' }],
    ['dropbear', "Bad password attempt for 'root' from 198.51.100.9:40312", { user: 'root', outcome: 'failure', src: '198.51.100.9', port: 40312, method: 'ssh' }],
    ['dropbear', "Password auth succeeded for 'root' from 198.51.100.9:40312", { user: 'root', outcome: 'success', src: '198.51.100.9', port: 40312, method: 'ssh' }],
    ['login', "FAILED LOGIN (1) on '/dev/pts/0' FROM '198.51.100.77' FOR 'root', Authentication failure", { user: 'root', outcome: 'failure', src: '198.51.100.77', method: 'telnet' }],
    ['login', 'LOGIN ON pts/0 BY admin FROM 198.51.100.77', { user: 'admin', outcome: 'success', src: '198.51.100.77', method: 'telnet' }],
    ['login', 'pam_unix(login:auth): authentication failure; logname=LOGIN uid=0 euid=0 tty=pts/1 ruser= rhost=198.51.100.78  user=guest', { user: 'guest', outcome: 'failure', src: '198.51.100.78', method: 'telnet' }],
  ] as const)('%s: %s', (app, message, expected) => {
    expect(authFromMessage(app, message)).toEqual(expected);
  });

  it('leave other sshd messages as log events', () => {
    expect(authFromMessage('sshd', 'Received disconnect from 203.0.113.50 port 52144:11: Bye Bye [preauth]')).toBeUndefined();
    expect(authFromMessage('cron', 'Failed password for root from 203.0.113.50 port 1 ssh2')).toBeUndefined();
  });
});

describe('RFC 6587 framing', () => {
  it('splits octet-counted and newline frames, also across chunk boundaries', () => {
    const f = new SyslogFramer(1000);
    const stream = Buffer.from('11 <13>1 - - -<13>line one\n10 <13>hello\n<13>line two\n');
    const frames = [];
    for (let i = 0; i < stream.length; i += 3) frames.push(...f.push(stream.subarray(i, i + 3)));
    frames.push(...f.end());
    expect(frames.map((x) => Buffer.from(x.bytes).toString())).toEqual(['<13>1 - - -', '<13>line one', '<13>hello\n', '<13>line two']);
  });

  it('rejects an octet count over the limit and skips the frame without buffering it', () => {
    const f = new SyslogFramer(100);
    const frames = f.push(Buffer.from(`5000 ${'a'.repeat(2000)}`));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.rejection?.code).toBe('TOO_LARGE');
    expect(f.pending).toBe(0);
    expect(f.push(Buffer.from('a'.repeat(3000)))).toEqual([]);
    expect(f.push(Buffer.from('4 <1>x')).map((x) => Buffer.from(x.bytes).toString())).toEqual(['<1>x']);
  });

  it('rejects a newline-framed line over the limit and holds at most the limit meanwhile', () => {
    const f = new SyslogFramer(100);
    const first = f.push(Buffer.from('<13>' + 'b'.repeat(500)));
    expect(first.map((x) => x.rejection?.code)).toEqual(['TOO_LARGE']);
    expect(f.pending).toBe(0);
    expect(f.push(Buffer.from('c'.repeat(10_000)))).toEqual([]);
    expect(f.push(Buffer.from('tail\n<13>ok\n')).map((x) => Buffer.from(x.bytes).toString())).toEqual(['<13>ok']);
  });
});

describe('the syslog listeners of a running node', () => {
  let node: VigilNode;
  let cleanup: () => void;
  let port: number;

  beforeEach(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, syslog: { enabled: true, port: 0 } }), { logger: silentLogger() });
    port = node.syslog!.ports.udp;
    expect(node.syslog!.ports.tcp).toBe(port);
  });
  afterEach(async () => {
    await node.stop();
    cleanup();
  });

  it('stores UDP datagrams, one message each', async () => {
    const sock = createSocket('udp4');
    const lines = Array.from({ length: 100 }, (_, i) => `<13>1 - sensor-${i} app - - - reading ${i}`);
    for (const l of lines) await new Promise<void>((r) => sock.send(l, port, '127.0.0.1', () => r()));
    sock.close();
    await waitFor(() => (node.store.countEvents() === 100 ? true : undefined), 10_000, '100 UDP events');
    const metrics = await node.metrics.registry.metrics();
    expect(metricValue(metrics, 'vigil_events_accepted_total', { source: 'syslog-udp' })).toBe(100);
  });

  it('stores TCP messages in both framings, and a failed sshd password as an auth event', async () => {
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const sshd = '<38>Jun 15 11:59:00 gw-3 sshd[1234]: Failed password for root from 203.0.113.50 port 52144 ssh2';
    const framed = '<13>1 2025-06-15T11:00:00Z router-1 kernel - - - link up';
    sock.write(`${sshd}\n${Buffer.byteLength(framed)} ${framed}<13>Jun 15 11:59:01 router-2 ntpd[7]: synchronized\n`);
    sock.end();
    const rows = await waitFor(() => {
      const rows = node.store.eventsAfter(0, 10);
      return rows.length === 3 ? rows : undefined;
    }, 10_000, '3 TCP events');
    const auth = rows.find((r) => r.event.vigil.kind === 'auth')!.event;
    expect(auth.user?.name).toBe('root');
    expect(auth.source?.ip).toBe('203.0.113.50');
    expect(auth.device?.id).toBe('gw-3');
    expect(auth.event.outcome).toBe('failure');
    expect(rows.map((r) => r.source)).toEqual(['syslog-tcp', 'syslog-tcp', 'syslog-tcp']);
  });

  it('keeps twelve sshd "Failed password … port N" lines of one second over UDP as twelve events, and they trigger the brute-force rule', async () => {
    const sock = createSocket('udp4');
    const at = 'Jun 15 11:59:00';
    const lines = Array.from({ length: 12 }, (_, i) => `<38>${at} gw-9 sshd[${4100 + i}]: Failed password for root from 203.0.113.77 port ${50000 + i} ssh2`);
    for (const l of lines) await new Promise<void>((r) => sock.send(l, port, '127.0.0.1', () => r()));
    sock.close();
    await waitFor(() => (node.store.countEvents() === 12 ? true : undefined), 10_000, '12 sshd events');
    const events = node.store.eventsAfter(0, 20).map((r) => r.event);
    expect(new Set(events.map((e) => e.source?.port))).toEqual(new Set(lines.map((_, i) => 50000 + i)));
    expect(events.every((e) => e.vigil.kind === 'auth' && e.process?.name === 'sshd' && e.message?.startsWith('Failed password for root'))).toBe(true);
    // the starter pack's brute-force correlation: ten failed logins on one device within a minute
    const alerts = await waitFor(() => {
      const n = node.store.countAlertsMatching({ rule: '3f1c6a52-1d0e-4c55-9a61-0b7a5f0c1002' });
      return n > 0 ? n : undefined;
    }, 10_000, 'the password-guessing alert');
    expect(alerts).toBe(1);
  });

  it('keeps an oversized TCP frame as a TOO_LARGE dead letter and goes on reading the connection', async () => {
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`200000 ${'z'.repeat(200_000)}<13>1 - host-a app - - - after\n`);
    sock.end();
    await waitFor(() => (node.store.countEvents() === 1 && node.store.countDeadLetters() === 1 ? true : undefined), 10_000, 'one event and one dead letter');
    expect(node.store.deadLetters()[0]?.code).toBe('TOO_LARGE');
  });

  const logger = ['/usr/bin/logger', '/bin/logger'].find((p) => existsSync(p));
  if (!logger) console.log('syslog test: logger(1) not installed (util-linux / bsdutils); the logger(1) test is skipped');
  it.skipIf(!logger)('stores what logger(1) sends over UDP', async () => {
    await new Promise<void>((resolve, reject) =>
      execFile(logger!, ['-n', '127.0.0.1', '-P', String(port), '-d', '-t', 'vigil-test', 'hello from logger'], (err) => (err ? reject(err) : resolve())),
    );
    const rows = await waitFor(() => {
      const rows = node.store.eventsAfter(0, 10);
      return rows.length === 1 ? rows : undefined;
    }, 10_000, 'the logger event');
    expect(rows[0]!.event.message).toBe('hello from logger');
    expect(rows[0]!.event.process?.name).toBe('vigil-test');
  });
});

/** A sink that stores nothing until released, to fill the collector's buffers. */
class BlockedSink implements IngestSink {
  received = 0;
  droppedCount = 0;
  private releases: Array<() => void> = [];
  submit(_s: string, items: readonly IngestItem[]): Promise<IngestReceipt> {
    return new Promise((resolve) =>
      this.releases.push(() => {
        this.received += items.length;
        resolve({ accepted: items.length, duplicates: 0, rejected: 0, results: [] });
      }),
    );
  }
  dropped(_s: string, n: number): void {
    this.droppedCount += n;
  }
  releaseAll(): void {
    for (const r of this.releases.splice(0)) r();
  }
}

describe('when the pipeline is full', () => {
  it('counts the UDP datagrams that do not fit the bounded buffer as dropped, and stores the rest', async () => {
    const sink = new BlockedSink();
    const collector = new SyslogCollector(validation, { port: 0, tcp: false, udpBufferMessages: 50, udpBatchMessages: 10 });
    await collector.start(sink);
    const sock = createSocket('udp4');
    const sent = 500;
    for (let i = 0; i < sent; i++) await new Promise<void>((r) => sock.send(`<13>1 - h app - - - m${i}`, collector.ports.udp, '127.0.0.1', () => r()));
    sock.close();
    await waitFor(() => (sink.droppedCount + 50 + 10 >= sent - 5 ? true : undefined), 5000, 'the buffer to overflow');
    for (let i = 0; i < 20; i++) {
      sink.releaseAll();
      await new Promise((r) => setTimeout(r, 10));
    }
    // Kernel loss aside (none on loopback at this rate), every datagram is either stored or counted.
    expect(sink.received + sink.droppedCount).toBe(sent);
    expect(sink.droppedCount).toBeGreaterThan(0);
    await collector.stop();
  });

  it('pauses a TCP sender instead of dropping, and stores everything once there is room', async () => {
    const sink = new BlockedSink();
    const collector = new SyslogCollector(validation, { port: 0, udp: false });
    await collector.start(sink);
    const sock = connect(collector.ports.tcp, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const line = `<13>1 - h app - - - ${'p'.repeat(200)}\n`;
    const total = 50_000;
    let written = 0;
    let blocked = false;
    while (written < total) {
      written++;
      if (!sock.write(line)) {
        blocked = true;
        break;
      }
    }
    // The sender's writes back up because the collector stopped reading.
    expect(blocked).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(sink.received).toBe(0);
    const rest = async () => {
      while (written < total) {
        written++;
        if (!sock.write(line)) await new Promise((r) => sock.once('drain', r));
      }
      sock.end();
    };
    const writing = rest();
    while (sink.received < total) {
      sink.releaseAll();
      await new Promise((r) => setTimeout(r, 2));
    }
    await writing;
    expect(sink.received).toBe(total);
    expect(sink.droppedCount).toBe(0);
    await collector.stop();
  });
});

describe('when one sender repeats a line within the same second', () => {
  it('keeps each repeat as its own event, numbered in event.sequence', async () => {
    const { RepeatCounter } = await import('../collectors/index.js');
    const { resolveValidationOptions } = await import('../events/index.js');
    const validation = resolveValidationOptions({ now: () => Date.UTC(2026, 0, 1, 12) });
    const repeats = new RepeatCounter();
    const line = new TextEncoder().encode('<38>Jan  1 11:59:59 cam-3 sshd[77]: Failed password for root from 203.0.113.9 port 22 ssh2');
    const items = [0, 1, 2].map(() => syslogToItem(line, { address: '10.0.0.3' }, validation, repeats));
    const ids = items.map((i) => i.event?.id);
    expect(new Set(ids).size).toBe(3);
    expect(items.map((i) => i.event?.event.sequence)).toEqual([undefined, 1, 2]);
    expect(items.every((i) => i.event?.vigil.kind === 'auth')).toBe(true);
    // Without a counter (a redelivery path), the same line is the same event.
    expect(syslogToItem(line, { address: '10.0.0.3' }, validation).event?.id).toBe(ids[0]);
  });
});
