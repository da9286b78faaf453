/** notify/ against real local receivers: what is refused, retried, dead-lettered, and escaped. */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotifier, notifySection, slackEscape, NotifyError, type DeliveryRecord, type Notice, type NotifyConfig } from '../notify/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { tempDir } from './helpers.js';
import { httpReceiver, smtpReceiver } from './notify-receivers.js';

const notice = (entity = 'D-1'): Notice => ({
  incident: { id: 'inc-1', title: `Device ${entity}: guessing`, severity: 'high', status: 'open', entity: { id: entity, type: 'device' }, firstSeen: 1, lastSeen: 2, alertCount: 1, categories: [] },
  alerts: [{ id: 'a1', ts: 2, title: 'Telnet password guessing', description: 'ten failures', severity: 'high', rule: 'rule-1', tags: [] }],
  observables: [],
});

const config = (input: unknown): NotifyConfig => notifySection.parse({ initialRetryMs: 10, maxRetryMs: 50, ...(input as object) });

describe('notify', () => {
  const tmp = tempDir();
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });
  const build = (c: NotifyConfig, env: Record<string, string> = {}) => {
    const records: DeliveryRecord[] = [];
    const notifier = createNotifier(c, { deadLetterDir: join(tmp.dir, 'dl'), onDelivery: (r) => records.push(r), env, random: () => 0.5 });
    closers.push(() => notifier.stop());
    return { notifier, records };
  };

  describe('when a destination is outside loopback', () => {
    it('refuses it at start unless notify.allowHosts names it', () => {
      const c = config({ connectors: [{ type: 'webhook', name: 'h', url: 'http://169.254.169.254/latest', secret: { env: 'S' } }] });
      expect(() => build(c, { S: 'x' })).toThrow(expect.objectContaining({ code: 'URL_REFUSED' }) as Error);
      const allowed = config({ ...c, allowHosts: ['169.254.169.254'] });
      expect(() => build(allowed, { S: 'x' })).not.toThrow();
    });

    it('refuses plain-text SMTP to anything but a loopback relay', () => {
      const c = config({ allowHosts: ['mail.example.org'], connectors: [{ type: 'smtp', name: 'm', host: 'mail.example.org', tls: 'none', from: 'a@example.org', to: ['b@example.org'] }] });
      expect(() => build(c)).toThrow(/in the clear/);
    });
  });

  describe('when a receiver redirects', () => {
    it('does not follow the redirect, and dead-letters the notice at once', async () => {
      const target = await httpReceiver();
      closers.push(target.close);
      const hop = await httpReceiver(() => ({ status: 302, headers: { Location: `${target.url}/elsewhere` } }));
      closers.push(hop.close);
      const { notifier, records } = build(config({ connectors: [{ type: 'webhook', name: 'h', url: `${hop.url}/hook`, secret: { env: 'S' } }] }), { S: 'k' });
      notifier.enqueue(notice(), ['h']);
      await notifier.drain();
      expect(records).toMatchObject([{ outcome: 'dead-letter', attempts: 1, error: { code: 'REDIRECT_REFUSED' } }]);
      expect(target.received).toHaveLength(0);
    });
  });

  describe('when a secret file is readable by others', () => {
    it('refuses to start, naming the key, and never prints the secret', () => {
      const path = join(tmp.dir, 'loose.secret');
      writeFileSync(path, 'top-secret-value');
      chmodSync(path, 0o644);
      const c = config({ connectors: [{ type: 'thehive', name: 't', url: 'http://127.0.0.1:1', apiKey: { file: path } }] });
      let err: unknown;
      try {
        build(c);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NotifyError);
      expect((err as NotifyError).message).toMatch(/notify\.connectors\.0\.apiKey: .* mode 644/);
      expect((err as NotifyError).message).not.toContain('top-secret-value');
    });
  });

  describe('when a receiver keeps failing', () => {
    it('retries a 503 up to the attempt limit, then writes the dead letter with the notice', async () => {
      const down = await httpReceiver(() => ({ status: 503 }));
      closers.push(down.close);
      const { notifier, records } = build(config({ attempts: 3, connectors: [{ type: 'webhook', name: 'h', url: `${down.url}/hook`, secret: { env: 'S' } }] }), { S: 'k' });
      notifier.enqueue(notice(), ['h']);
      await notifier.drain();
      expect(down.received).toHaveLength(3);
      expect(records).toMatchObject([{ outcome: 'dead-letter', attempts: 3, error: { code: 'HTTP_STATUS' } }]);
      const line = JSON.parse(readFileSync(join(tmp.dir, 'dl', 'h.ndjson'), 'utf8').trim().split('\n').pop()!) as { notice: Notice };
      expect(line.notice.incident.id).toBe('inc-1');
    });

    it('does not retry a 401', async () => {
      const refusing = await httpReceiver(() => ({ status: 401 }));
      closers.push(refusing.close);
      const { notifier, records } = build(config({ connectors: [{ type: 'slack', name: 's', url: { env: 'U' } }] }), { U: `${refusing.url}/services/T/B/x` });
      notifier.enqueue(notice(), ['s']);
      await notifier.drain();
      expect(refusing.received).toHaveLength(1);
      expect(records[0]).toMatchObject({ outcome: 'dead-letter', attempts: 1 });
    });

    it('does not retry an SMTP 550, which is permanent', async () => {
      const smtp = await smtpReceiver('u', 'p', { rejectWith: 550 });
      closers.push(smtp.close);
      const { notifier, records } = build(config({ connectors: [{ type: 'smtp', name: 'm', host: '127.0.0.1', port: smtp.port, tls: 'none', username: 'u', password: { env: 'P' }, from: 'a@example.org', to: ['b@example.org'] }] }), { P: 'p' });
      notifier.enqueue(notice(), ['m']);
      await notifier.drain();
      expect(records[0]).toMatchObject({ outcome: 'dead-letter', attempts: 1, error: { code: 'SMTP' } });
    });
  });

  describe('routing', () => {
    it('sends per rule and per severity', () => {
      const c = config({
        connectors: [
          { type: 'webhook', name: 'all', url: 'http://127.0.0.1:1/', secret: { env: 'S' } },
          { type: 'webhook', name: 'rule2', url: 'http://127.0.0.1:1/', secret: { env: 'S' } },
          { type: 'webhook', name: 'crit', url: 'http://127.0.0.1:1/', secret: { env: 'S' } },
        ],
        routes: [{ connectors: ['all'] }, { connectors: ['rule2'], rules: ['rule-2'] }, { connectors: ['crit'], minSeverity: 'critical' }],
      });
      const { notifier } = build(c, { S: 'k' });
      expect(notifier.route(notice())).toEqual(['all']);
      const both = { ...notice(), incident: { ...notice().incident, severity: 'critical' as const }, alerts: [{ ...notice().alerts[0]!, rule: 'rule-2' }] };
      expect(notifier.route(both).sort()).toEqual(['all', 'crit', 'rule2']);
    });

    it('refuses a route naming an unknown connector', () => {
      expect(() => config({ routes: [{ connectors: ['nobody'] }] })).toThrow(/no connector is named nobody/);
    });
  });

  describe('in the node configuration', () => {
    it('names the key of a bad connector option', () => {
      expect(() => resolveConfig({ notify: { connectors: [{ type: 'webhook', name: 'h', url: 'ftp://x/', secret: { env: 'S' } }] } })).toThrow(/notify\.connectors\.0\.url/);
      expect(() => resolveConfig({ notify: { connectors: [{ type: 'thehive', name: 't', url: 'http://127.0.0.1/', apiKey: { file: 'a', env: 'B' } }] } })).toThrow(/exactly one of file or env/);
      expect(() => resolveConfig({ notify: { connectors: [{ type: 'pager', name: 'p' }] } })).toThrow(/notify\.connectors\.0/);
    });

    it('keeps notifications off by default', () => {
      expect(resolveConfig({}).notify).toMatchObject({ connectors: [], routes: [], attempts: 5, initialRetryMs: 1000, maxRetryMs: 60000 });
      expect(resolveConfig({}).api).toMatchObject({ graphiql: false, ws: { maxConnections: 256 } });
    });
  });

  describe('when an entity id carries Slack markup', () => {
    it('is escaped, so `<!channel>` pings nobody', async () => {
      const chat = await httpReceiver();
      closers.push(chat.close);
      const { notifier } = build(config({ connectors: [{ type: 'slack', name: 's', url: { env: 'U' } }] }), { U: `${chat.url}/slack` });
      notifier.enqueue(notice('<!channel> & <http://evil|x>'), ['s']);
      await notifier.drain();
      expect(chat.received[0]!.body).not.toContain('<!channel>');
      expect(chat.received[0]!.body).toContain(slackEscape('<!channel>'));
    });
  });
});
