/** Real local receivers for the notification tests: one HTTP server, one SMTP server (smtp-server). */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { SMTPServer } from 'smtp-server';
import { freePort } from './helpers.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Records every request; answers TheHive's case creation with a case `_id`, and whatever
 * `answer` says for the rest (200 by default).
 */
export async function httpReceiver(answer: (r: Received, n: number) => { status: number; headers?: Record<string, string>; body?: string } = () => ({ status: 200 })): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  let cases = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const a = answer(r, received.length);
      if (a.status === 200 && r.path === '/api/v1/case') {
        cases++;
        return void res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ _id: `~${4096 + cases}`, number: cases, ...(JSON.parse(r.body) as object) }));
      }
      res.writeHead(a.status, a.headers ?? {}).end(a.body ?? 'ok');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface Mail {
  from: string | undefined;
  to: string[];
  user: string | undefined;
  raw: string;
}

/** An SMTP server on loopback that takes one user's password and keeps each message. */
export async function smtpReceiver(user: string, password: string, options: { rejectWith?: number } = {}): Promise<{ port: number; mails: Mail[]; close: () => Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) cb(null, { user });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (options.rejectWith) {
          const err = new Error('mailbox unavailable') as Error & { responseCode: number };
          err.responseCode = options.rejectWith;
          return cb(err);
        }
        const from = session.envelope.mailFrom;
        mails.push({ from: from ? from.address : undefined, to: session.envelope.rcptTo.map((r) => r.address), user: session.user, raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, mails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
