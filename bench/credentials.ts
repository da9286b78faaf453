/** The credentials an authenticated bench run needs (bench/auth.ts), made in a node's data folder before it starts. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './util.js';

/** What an authenticated bench client needs, made in a node's data folder before it starts. */
export interface BenchAuth {
  /** The sensor key (scope: every entity). */
  key: string;
  /** The node's configuration file (requireKeys, syslog TLS). */
  configFile: string;
  syslogTlsPort: number;
  /** Client side of syslog TLS. */
  tls: { ca: Buffer; key: Buffer; cert: Buffer };
}

export async function prepareAuth(dataDir: string): Promise<BenchAuth> {
  const bin = resolve(import.meta.dirname, '../bin/vigil.js');
  const made = JSON.parse(execFileSync(process.execPath, [bin, 'sensor', 'create', '--name', 'bench fleet', '--entities', '*', '--data-dir', dataDir, '--json'], { encoding: 'utf8' })) as { key: string };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', 'server.key', '-out', 'server.crt', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dataDir, stdio: 'pipe' });
  execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', 'client.key', '-out', 'client.crt', '-subj', '/CN=bench-relay'], { cwd: dataDir, stdio: 'pipe' });
  const fingerprint = execFileSync('openssl', ['x509', '-in', 'client.crt', '-noout', '-fingerprint', '-sha256'], { cwd: dataDir, encoding: 'utf8' }).trim().split('=')[1]!;
  const syslogTlsPort = await freePort();
  const configFile = join(dataDir, 'vigil.config.json');
  const config = {
    ingest: { requireKeys: true },
    syslog: { tls: { port: syslogTlsPort, key: join(dataDir, 'server.key'), cert: join(dataDir, 'server.crt'), allowFingerprints: [fingerprint] } },
  };
  writeFileSync(configFile, JSON.stringify(config));
  const read = (f: string) => readFileSync(join(dataDir, f));
  return { key: made.key, configFile, syslogTlsPort, tls: { ca: read('server.crt'), key: read('client.key'), cert: read('client.crt') } };
}

