/** One outbound JSON POST, as every HTTP connector makes it. */
import { NotifyError } from './errors.js';

export interface PostResult {
  status: number;
  text: string;
}

/**
 * POST a JSON body. A redirect is refused, never followed (it could point anywhere, past the
 * host check); 408, 429 and 5xx may heal and are retriable, other 4xx are not.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'vigil-notify', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    throw new NotifyError('NETWORK', timedOut ? `no answer in ${timeoutMs} ms` : `connection failed (${causeCode(err)})`, true, { cause: err });
  }
  // Read at most a little of the answer: it is only for the record and for TheHive's case id.
  const text = (await res.text().catch(() => '')).slice(0, 64 * 1024);
  if (res.status >= 300 && res.status < 400) throw new NotifyError('REDIRECT_REFUSED', `answered ${res.status}; redirects are not followed`, false);
  if (res.status >= 200 && res.status < 300) return { status: res.status, text };
  const retriable = res.status === 408 || res.status === 429 || res.status >= 500;
  const after = retryAfterMs(res.headers.get('retry-after'));
  throw new NotifyError('HTTP_STATUS', `answered ${res.status}`, retriable, after !== undefined ? { retryAfterMs: after } : {});
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

function causeCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : (err as Error).message;
}
