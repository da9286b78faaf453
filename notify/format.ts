/**
 * How a notice reads in each channel. Titles, entity ids and descriptions come from what
 * sensors sent and from rule text: they are escaped for Slack's mrkdwn (so an entity named
 * `<!channel>` pings nobody), stripped of line breaks in mail headers, and sent as plain text
 * in mail (no HTML to inject into).
 */
import type { Notice, NoticeSeverity } from './types.js';

export function subject(n: Notice): string {
  return oneLine(`[Vigil ${n.incident.severity}] ${n.incident.title} (${n.incident.entity.type} ${n.incident.entity.id})`).slice(0, 200);
}

export function plainText(n: Notice): string {
  const i = n.incident;
  const lines = [
    `Incident ${i.id}: ${i.title}`,
    `Severity: ${i.severity}; status: ${i.status}; ${i.alertCount} alert(s)`,
    `Entity: ${i.entity.type} ${i.entity.id}`,
    `First seen ${new Date(i.firstSeen).toISOString()}, last seen ${new Date(i.lastSeen).toISOString()}`,
    ...(i.categories.length > 0 ? [`Categories: ${i.categories.join(', ')}`] : []),
    '',
    'Alerts:',
    ...n.alerts.map((a) => `- ${new Date(a.ts).toISOString()} [${a.severity}] ${a.title} (rule ${a.rule}): ${a.description}`),
    ...(n.observables.length > 0 ? ['', 'Observables:', ...n.observables.map((o) => `- ${o.dataType}: ${o.data}`)] : []),
  ];
  return lines.join('\n');
}

/** Slack's three control characters (api.slack.com, "Escaping text"). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack incoming-webhook message: `text` for notifications, blocks for the channel. */
export function slackMessage(n: Notice): Record<string, unknown> {
  const i = n.incident;
  const alerts = n.alerts.slice(0, 10).map((a) => `• [${a.severity}] ${slackEscape(a.title)} (rule \`${slackEscape(a.rule)}\`)`);
  return {
    text: slackEscape(subject(n)),
    blocks: [
      // plain_text renders no markup, but a client that copies it might: no angle brackets at all.
      { type: 'header', text: { type: 'plain_text', text: `Vigil ${i.severity}: ${i.title}`.replace(/[<>]/g, '').slice(0, 150) } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Entity*\n${slackEscape(`${i.entity.type} ${i.entity.id}`)}` },
          { type: 'mrkdwn', text: `*Incident*\n${slackEscape(i.id)}` },
          { type: 'mrkdwn', text: `*Alerts*\n${i.alertCount}` },
          { type: 'mrkdwn', text: `*Status*\n${slackEscape(i.status)}` },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: alerts.join('\n') || '(no alert text)' } },
    ],
  };
}

/** The webhook's JSON body: a versioned, documented shape (README "Notifications"). */
export function webhookBody(n: Notice, sentAt: number): Record<string, unknown> {
  return { format: 'vigil-notice/v1', sentAt, incident: n.incident, alerts: n.alerts, observables: n.observables };
}

const HIVE_SEVERITY: Record<NoticeSeverity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/** TheHive 5's InputCase (POST /api/v1/case). */
export function hiveCase(n: Notice, tlp: number, pap: number): Record<string, unknown> {
  const i = n.incident;
  const tags = new Set(['vigil', `vigil:entity-type=${i.entity.type}`, ...n.alerts.map((a) => `vigil:rule=${a.rule}`), ...n.alerts.flatMap((a) => a.tags), ...i.categories.map((c) => `vigil:category=${c}`)]);
  return {
    title: oneLine(`[Vigil] ${i.title} (${i.entity.id})`).slice(0, 512),
    description: plainText(n),
    severity: HIVE_SEVERITY[i.severity],
    startDate: i.firstSeen,
    tags: [...tags].slice(0, 50),
    flag: false,
    tlp,
    pap,
    // TheHive keeps a source reference on alerts, not cases: the incident id goes in the summary.
    summary: `Vigil incident ${i.id}`,
  };
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\t\u0000-\u001f\u007f]+/g, ' ');
}
