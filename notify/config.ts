/**
 * The `notify` section of Vigil's configuration (normalised once at start with the rest,
 * pipeline/config.ts). Secrets are never written here: each names a file (mode 0600) or an
 * environment variable that holds it (secrets.ts).
 */
import { z } from 'zod';
import { NOTICE_SEVERITIES } from './types.js';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a name of letters, digits, _ . -');
const url = z.string().url().refine((u) => /^https?:\/\//i.test(u), 'expected an http:// or https:// URL');
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name');

/** Where a secret comes from: a file readable by the owner only, or an environment variable. */
const secret = z
  .strictObject({
    /** A file holding the secret (trailing newline trimmed); refused if group or others can read it. */
    file: z.string().min(1).optional(),
    /** An environment variable holding the secret. */
    env: envName.optional(),
  })
  .refine((s) => (s.file === undefined) !== (s.env === undefined), 'set exactly one of file or env');

const webhook = z.strictObject({
  type: z.literal('webhook'),
  name,
  url,
  /** The HMAC-SHA256 key the receiver checks `X-Vigil-Signature` with. */
  secret,
});
const slack = z.strictObject({
  type: z.literal('slack'),
  name,
  /** A Slack-compatible incoming-webhook URL; its path is a credential, so it comes like a secret. */
  url: secret,
});
const smtp = z.strictObject({
  type: z.literal('smtp'),
  name,
  host: z.string().min(1),
  /** @default 587 */
  port: z.number().int().min(1).max(65_535).default(587),
  /**
   * `starttls`: upgrade and refuse to go on without TLS; `implicit`: TLS from the first byte
   * (port 465); `none`: plain text, allowed only to a loopback relay. @default 'starttls'
   */
  tls: z.enum(['starttls', 'implicit', 'none']).default('starttls'),
  username: z.string().min(1).optional(),
  password: secret.optional(),
  from: z.string().email(),
  to: z.array(z.string().email()).min(1),
});
const thehive = z.strictObject({
  type: z.literal('thehive'),
  name,
  /** TheHive's base URL (cases go to `<url>/api/v1/case`). */
  url,
  apiKey: secret,
  /** Sent as `X-Organisation` when set. @default none */
  organisation: z.string().min(1).optional(),
  /** Traffic Light Protocol of the cases and observables (0 white … 3 red). @default 2 (amber) */
  tlp: z.number().int().min(0).max(3).default(2),
  /** Permissible Actions Protocol (0 … 3). @default 2 */
  pap: z.number().int().min(0).max(3).default(2),
});

export const connectorSchema = z.discriminatedUnion('type', [webhook, slack, smtp, thehive]);

const route = z.strictObject({
  /** The connectors this route sends to, by name. */
  connectors: z.array(name).min(1),
  /** Only incidents of this severity or higher. @default 'low' */
  minSeverity: z.enum(NOTICE_SEVERITIES as [string, ...string[]]).default('low'),
  /** Only when one of the notice's alerts comes from one of these rules (ids; `model`, `reputation`). @default every rule */
  rules: z.array(z.string().min(1)).min(1).optional(),
});

export const notifySection = z
  .strictObject({
    connectors: z.array(connectorSchema).default([]),
    /** Which incidents go where. @default [] (every connector: incidents of severity high or critical) */
    routes: z.array(route).default([]),
    /**
     * Destinations besides loopback the connectors may reach (host names or addresses, as in
     * the URL). Anything else is refused at start, so a configured or injected URL cannot make
     * this node probe its own network (SSRF). @default []
     */
    allowHosts: z.array(z.string().min(1).max(255)).default([]),
    /** Attempts per delivery before the dead letter. @default 5 */
    attempts: z.number().int().min(1).max(20).default(5),
    /** Delay before the first retry, milliseconds; doubled each time, with jitter. @default 1000 */
    initialRetryMs: z.number().int().min(1).default(1_000),
    /** Longest delay between attempts, milliseconds (also caps a receiver's Retry-After). @default 60000 */
    maxRetryMs: z.number().int().min(1).default(60_000),
    /** Time allowed for one attempt, milliseconds. @default 10000 */
    timeoutMs: z.number().int().min(100).default(10_000),
    /** Deliveries waiting per connector; more go to the dead letter (QUEUE_FULL). @default 1000 */
    maxQueue: z.number().int().min(1).default(1_000),
  })
  .superRefine((n, ctx) => {
    const names = new Set<string>();
    n.connectors.forEach((c, i) => {
      if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: ['connectors', i, 'name'], message: `connector ${c.name} is named twice` });
      names.add(c.name);
    });
    n.routes.forEach((r, i) =>
      r.connectors.forEach((c, j) => {
        if (!names.has(c)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'connectors', j], message: `no connector is named ${c}` });
      }),
    );
  })
  .prefault({});

export type NotifyConfig = z.infer<typeof notifySection>;
export type ConnectorConfig = z.infer<typeof connectorSchema>;
export type SecretRef = z.infer<typeof secret>;
