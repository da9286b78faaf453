/**
 * The HTTP connectors: a signed generic webhook, Slack-compatible incoming webhooks and
 * TheHive cases. Each is built from its configuration once; the secret is read then and kept
 * in the closure, never logged or put in a record.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { NotifyError } from './errors.js';
import { hiveCase, slackMessage, webhookBody } from './format.js';
import { postJson } from './http.js';
import type { Connector, Notice } from './types.js';

export interface HttpConnectorOptions {
  name: string;
  url: string;
  timeoutMs: number;
  now: () => number;
}

/** The headers a webhook receiver checks: when it was signed, and the signature. */
export const SIGNATURE_HEADER = 'x-vigil-signature';
export const TIMESTAMP_HEADER = 'x-vigil-timestamp';

/**
 * `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, the timestamp in Unix seconds — the
 * scheme of Stripe's and Slack's signed requests: the timestamp is inside the MAC, so an
 * old request replayed later fails the receiver's tolerance check.
 */
export function signWebhook(secret: string, timestampS: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does with the two headers: recompute, compare in constant time, and refuse
 * a timestamp further than `toleranceS` from its clock (a replay).
 * @param toleranceS seconds. @default 300
 */
export function verifyWebhook(secret: string, headers: { signature: string | undefined; timestamp: string | undefined }, body: string, nowMs: number, toleranceS = 300): boolean {
  if (!headers.signature || !headers.timestamp || !/^\d{1,12}$/.test(headers.timestamp)) return false;
  const ts = Number(headers.timestamp);
  if (Math.abs(nowMs / 1000 - ts) > toleranceS) return false;
  const want = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(headers.signature);
  return got.length === want.length && timingSafeEqual(got, want);
}

export function webhookConnector(o: HttpConnectorOptions & { secret: string }): Connector {
  return {
    name: o.name,
    type: 'webhook',
    async send(notice) {
      const sentAt = o.now();
      const body = JSON.stringify(webhookBody(notice, sentAt));
      const ts = Math.floor(sentAt / 1000);
      const res = await postJson(o.url, body, { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signWebhook(o.secret, ts, body) }, o.timeoutMs);
      return { reference: `HTTP ${res.status}` };
    },
  };
}

export function slackConnector(o: HttpConnectorOptions): Connector {
  return {
    name: o.name,
    type: 'slack',
    async send(notice) {
      const res = await postJson(o.url, JSON.stringify(slackMessage(notice)), {}, o.timeoutMs);
      return { reference: `HTTP ${res.status}` };
    },
  };
}

/**
 * TheHive 5: the case first (POST /api/v1/case), then each observable on it
 * (POST /api/v1/case/{id}/observable). The case id is kept in `state` so that a retry after a
 * failed observable adds to the same case rather than opening another.
 */
export function theHiveConnector(o: HttpConnectorOptions & { apiKey: string; organisation?: string; tlp: number; pap: number }): Connector {
  const base = o.url.replace(/\/+$/, '');
  const headers = { Authorization: `Bearer ${o.apiKey}`, ...(o.organisation ? { 'X-Organisation': o.organisation } : {}) };
  return {
    name: o.name,
    type: 'thehive',
    async send(notice: Notice, state: Record<string, unknown>) {
      if (typeof state['caseId'] !== 'string') {
        const res = await postJson(`${base}/api/v1/case`, JSON.stringify(hiveCase(notice, o.tlp, o.pap)), headers, o.timeoutMs);
        const id = caseIdOf(res.text);
        if (!id) throw new NotifyError('HTTP_STATUS', 'TheHive answered without a case _id', false);
        state['caseId'] = id;
        state['observablesDone'] = 0;
      }
      const caseId = state['caseId'] as string;
      for (let k = Number(state['observablesDone'] ?? 0); k < notice.observables.length; k++) {
        const ob = notice.observables[k]!;
        const body = { dataType: ob.dataType, data: ob.data, message: ob.message ?? `from Vigil incident ${notice.incident.id}`, tlp: o.tlp, pap: o.pap, ioc: false, sighted: true, tags: ['vigil'] };
        await postJson(`${base}/api/v1/case/${encodeURIComponent(caseId)}/observable`, JSON.stringify(body), headers, o.timeoutMs);
        state['observablesDone'] = k + 1;
      }
      return { reference: caseId };
    },
  };
}

function caseIdOf(text: string): string | undefined {
  try {
    const id = (JSON.parse(text) as { _id?: unknown })._id;
    return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
  } catch {
    return undefined;
  }
}
