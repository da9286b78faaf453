/** E-mail over SMTP, through nodemailer (one pooled transport per connector). */
import nodemailer from 'nodemailer';
import { NotifyError } from './errors.js';
import { plainText, subject } from './format.js';
import type { Connector } from './types.js';

export interface SmtpConnectorOptions {
  name: string;
  host: string;
  port: number;
  /** See config.ts `tls`. */
  tls: 'starttls' | 'implicit' | 'none';
  username?: string;
  password?: string;
  from: string;
  to: readonly string[];
  timeoutMs: number;
}

export function smtpConnector(o: SmtpConnectorOptions): Connector {
  const transport = nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: o.tls === 'implicit',
    // With `starttls` a server that does not offer STARTTLS gets nothing, credentials least of all.
    requireTLS: o.tls === 'starttls',
    ignoreTLS: o.tls === 'none',
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    ...(o.username !== undefined && o.password !== undefined ? { auth: { user: o.username, pass: o.password } } : {}),
    // nodemailer logs nothing unless asked; credentials must never reach a log.
    logger: false,
    debug: false,
  });
  return {
    name: o.name,
    type: 'smtp',
    async send(notice) {
      try {
        const info = await transport.sendMail({ from: o.from, to: [...o.to], subject: subject(notice), text: plainText(notice), headers: { 'X-Vigil-Incident': notice.incident.id } });
        return { reference: String(info.messageId) };
      } catch (err) {
        throw smtpError(err);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** 5xx is a permanent refusal (RFC 5321 §4.2.1); 4xx, timeouts and broken connections may heal. */
function smtpError(err: unknown): NotifyError {
  const e = err as { responseCode?: unknown; code?: unknown; message?: unknown };
  const status = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : 'error';
  if (status !== undefined) return new NotifyError('SMTP', `the server answered ${status} (${code})`, status < 500, { cause: err });
  if (code === 'EAUTH') return new NotifyError('SMTP', 'authentication failed', false, { cause: err });
  return new NotifyError('NETWORK', `SMTP connection failed (${code})`, true, { cause: err });
}
