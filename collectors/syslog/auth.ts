/**
 * Login outcomes in the messages of the daemons that guard city devices: OpenSSH, dropbear
 * (on most embedded Linux gateways and cameras), telnetd and login(1) with or without PAM.
 *
 * Brute force against telnet and SSH is how Mirai-style botnets take IoT devices, so a
 * failed or successful login becomes an `auth` event (user, outcome, source address) that
 * the detector and reputation can count; a message that matches nothing here stays a
 * `log` event. The patterns are anchored and bounded: they run on attacker-written text.
 */

export interface AuthOutcome {
  user: string;
  outcome: 'success' | 'failure';
  /** The remote address the login came from, when the daemon names one. */
  src?: string;
  /** The remote port (sshd "port N", dropbear "addr:N"): each attempt comes from its own. */
  port?: number;
  /** `ssh` or `telnet` or `login` (a local console). */
  method: 'ssh' | 'telnet' | 'login';
}

type Rule = { apps: RegExp; re: RegExp; outcome: AuthOutcome['outcome']; method: AuthOutcome['method'] | 'by-tty' };

const ADDR = '(?<src>[0-9A-Fa-f.:]{2,45})';
const USER = '(?<user>\\S{1,256}?)';

/** In order: the first rule that matches decides. */
const RULES: Rule[] = [
  // OpenSSH (auth.c, auth2.c): "Failed password for [invalid user ]root from 10.0.0.1 port 22 ssh2"
  { apps: /^sshd/, re: new RegExp(`^Failed (?:password|publickey|keyboard-interactive/pam|none|hostbased) for (?:invalid user )?${USER} from ${ADDR}(?: port (?<port>\\d{1,5}))?`), outcome: 'failure', method: 'ssh' },
  { apps: /^sshd/, re: new RegExp(`^Accepted (?:password|publickey|keyboard-interactive/pam|hostbased|gssapi-with-mic) for ${USER} from ${ADDR}(?: port (?<port>\\d{1,5}))?`), outcome: 'success', method: 'ssh' },
  { apps: /^sshd/, re: new RegExp(`^Invalid user ${USER} from ${ADDR}(?: port (?<port>\\d{1,5}))?$`), outcome: 'failure', method: 'ssh' },
  { apps: /^sshd/, re: new RegExp(`^error: maximum authentication attempts exceeded for (?:invalid user )?${USER} from ${ADDR}`), outcome: 'failure', method: 'ssh' },
  // dropbear (svr-authpasswd.c, svr-auth.c): "Bad password attempt for 'root' from 10.0.0.1:4242"
  { apps: /^dropbear/, re: new RegExp(`^Bad password attempt for '${USER}' from ${ADDR}:(?<port>\\d{1,5})$`), outcome: 'failure', method: 'ssh' },
  { apps: /^dropbear/, re: new RegExp(`^(?:Password|Pubkey) auth succeeded for '${USER}' (?:with (?:key|\\S+ key) .{0,200} )?from ${ADDR}:(?<port>\\d{1,5})$`), outcome: 'success', method: 'ssh' },
  { apps: /^dropbear/, re: new RegExp(`^Login attempt for nonexistent user (?:\\('${USER}'\\) )?from ${ADDR}:(?<port>\\d{1,5})$`), outcome: 'failure', method: 'ssh' },
  // login(1) from shadow-utils and util-linux, as run by telnetd: FAILED LOGIN (1) on '/dev/pts/0' FROM '10.0.0.1' FOR 'root', Authentication failure
  { apps: /^(login|telnetd|in\.telnetd)/, re: new RegExp(`^FAILED LOGIN \\(?\\d+\\)? (?:on '?\\S+?'? )?FROM '?${ADDR}'? FOR '?${USER}'?, `), outcome: 'failure', method: 'telnet' },
  { apps: /^(login|telnetd|in\.telnetd)/, re: new RegExp(`^FAILED LOGIN \\(?\\d+\\)? on '?\\S+?'? FOR '?${USER}'?, `), outcome: 'failure', method: 'by-tty' },
  { apps: /^(login|telnetd|in\.telnetd)/, re: new RegExp(`^LOGIN ON \\S+ BY ${USER} FROM ${ADDR}$`), outcome: 'success', method: 'telnet' },
  { apps: /^(login|telnetd|in\.telnetd)/, re: new RegExp(`^(?:ROOT )?LOGIN ON \\S+ BY ${USER}$`), outcome: 'success', method: 'by-tty' },
];

/** pam_unix(sshd:auth) / pam_unix(login:auth): "authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.1  user=root" */
const PAM_FAILURE = /^pam_unix\((sshd|login|telnet|remote):auth\): authentication failure;(.{0,512})$/;

export function authFromMessage(app: string | undefined, message: string): AuthOutcome | undefined {
  if (app === undefined || message.length > 2048) return undefined;
  for (const rule of RULES) {
    if (!rule.apps.test(app)) continue;
    const m = rule.re.exec(message);
    if (!m) continue;
    return build(rule, m);
  }
  const pam = PAM_FAILURE.exec(message);
  if (pam) {
    const fields = pam[2]!;
    const user = /(?:^|\s)user=(\S{1,256})/.exec(fields)?.[1];
    if (user === undefined) return undefined;
    const rhost = /(?:^|\s)rhost=(\S{1,255})/.exec(fields)?.[1];
    const method = pam[1] === 'sshd' ? 'ssh' : rhost !== undefined ? 'telnet' : 'login';
    return rhost !== undefined ? { user, outcome: 'failure', src: rhost, method } : { user, outcome: 'failure', method };
  }
  return undefined;
}

function build(rule: Rule, m: RegExpExecArray): AuthOutcome {
  const user = m.groups?.user ?? '(unknown)';
  const src = m.groups?.src;
  // A console login (tty1) is local; a pseudo-terminal without an address may be telnet or ssh: call it a login.
  const method = rule.method === 'by-tty' ? 'login' : rule.method;
  const out: AuthOutcome = src !== undefined ? { user, outcome: rule.outcome, src, method } : { user, outcome: rule.outcome, method };
  const port = m.groups?.port === undefined ? Number.NaN : Number(m.groups.port);
  if (port >= 1 && port <= 65_535) out.port = port;
  return out;
}
