/**
 * The connectors and notifier a `notify` configuration asks for, built once at start: every
 * destination is host-checked and every secret read here, so a wrong one stops the node with
 * a message naming the key, not the first incident.
 */
import type { ConnectorConfig, NotifyConfig } from './config.js';
import { slackConnector, theHiveConnector, webhookConnector } from './connectors.js';
import { NotifyError } from './errors.js';
import { checkHost, checkUrl, isLoopbackHost, readSecret } from './guard.js';
import { Notifier } from './notifier.js';
import { smtpConnector } from './smtp.js';
import type { Connector, DeliveryRecord, NoticeSeverity } from './types.js';

export interface NotifierDependencies {
  deadLetterDir: string;
  onDelivery: (record: DeliveryRecord) => void;
  now?: () => number;
  random?: () => number;
  /** Where `env` secrets are read. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export function createNotifier(config: NotifyConfig, deps: NotifierDependencies): Notifier {
  const connectors = config.connectors.map((c, i) => buildConnector(c, `notify.connectors.${i}`, config, deps));
  return new Notifier({
    connectors,
    routes: config.routes.map((r) => ({ connectors: r.connectors, minSeverity: r.minSeverity as NoticeSeverity, rules: r.rules })),
    deadLetterDir: deps.deadLetterDir,
    attempts: config.attempts,
    initialRetryMs: config.initialRetryMs,
    maxRetryMs: config.maxRetryMs,
    maxQueue: config.maxQueue,
    onDelivery: deps.onDelivery,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
}

function buildConnector(c: ConnectorConfig, key: string, config: NotifyConfig, deps: NotifierDependencies): Connector {
  const now = deps.now ?? Date.now;
  const env = deps.env ?? process.env;
  const common = { name: c.name, timeoutMs: config.timeoutMs, now };
  switch (c.type) {
    case 'webhook':
      return webhookConnector({ ...common, url: checkUrl(c.url, config.allowHosts, `${key}.url`).href, secret: readSecret(c.secret, `${key}.secret`, env) });
    case 'slack':
      // The URL is the credential: read like a secret, and never echoed in an error.
      return slackConnector({ ...common, url: checkUrl(readSecret(c.url, `${key}.url`, env), config.allowHosts, `${key}.url`).href });
    case 'thehive':
      return theHiveConnector({
        ...common,
        url: checkUrl(c.url, config.allowHosts, `${key}.url`).href,
        apiKey: readSecret(c.apiKey, `${key}.apiKey`, env),
        ...(c.organisation !== undefined ? { organisation: c.organisation } : {}),
        tlp: c.tlp,
        pap: c.pap,
      });
    case 'smtp': {
      checkHost(c.host, config.allowHosts, `${key}.host`);
      if (c.tls === 'none' && !isLoopbackHost(c.host)) throw new NotifyError('BAD_OPTION', `${key}.tls: none sends mail (and any password) in the clear; allowed only to a loopback relay`, false);
      if ((c.username === undefined) !== (c.password === undefined)) throw new NotifyError('BAD_OPTION', `${key}: set both username and password, or neither`, false);
      return smtpConnector({
        name: c.name,
        host: c.host,
        port: c.port,
        tls: c.tls,
        from: c.from,
        to: c.to,
        timeoutMs: config.timeoutMs,
        ...(c.username !== undefined && c.password !== undefined ? { username: c.username, password: readSecret(c.password, `${key}.password`, env) } : {}),
      });
    }
  }
}
