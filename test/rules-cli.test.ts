/**
 * `vigil rules import | list | test` as an operator runs them (child processes of the real
 * command), and the detector reading what `import` wrote from the data directory at start.
 */
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil } from './vigil-cli.js';
import { Detector } from '../detector/index.js';

const vigil = (args: string[], cwd: string) => runVigil(args, { cwd });

const SSHD = `title: sshd refused a connection string
id: 7f0c0d3e-1b6e-4d8a-9a51-2f1c7a8e0001
logsource: { product: linux, service: sshd }
detection:
  keywords: ['Bad protocol version identification']
  condition: keywords
level: medium
`;
const PROCESS = `title: curl piped to a shell
id: 7f0c0d3e-1b6e-4d8a-9a51-2f1c7a8e0002
logsource: { product: linux, category: process_creation }
detection:
  selection: { Image|endswith: /curl, CommandLine|contains: '| sh' }
  condition: selection
`;

describe('vigil rules', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-rules-'));
    await mkdir(join(dir, 'incoming', 'linux'), { recursive: true });
    await writeFile(join(dir, 'incoming', 'linux', 'sshd.yml'), SSHD);
    await writeFile(join(dir, 'incoming', 'linux', 'proc.yml'), PROCESS);
    await writeFile(join(dir, 'incoming', 'broken.yml'), 'title: broken\nid: b1\ndetection:\n  s: { a|nosuch: 1 }\n  condition: s\n');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('import copies the files that load into <data-dir>/rules, names what it refused, and exits non-zero for it', async () => {
    const r = await vigil(['rules', 'import', 'incoming', '--data-dir', 'data'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/broken\.yml\tnot imported: .*unknown modifier "nosuch"/);
    expect(r.stdout).toMatch(/proc\.yml\timported as .*\(1 cannot fire here\)/);
    expect(r.stderr).toMatch(/2 of 3 files imported .*\(1 can fire here\)/);
    expect((await readdir(join(dir, 'data', 'rules'))).sort()).toEqual([
      '7f0c0d3e-1b6e-4d8a-9a51-2f1c7a8e0001-sshd.yml',
      '7f0c0d3e-1b6e-4d8a-9a51-2f1c7a8e0002-proc.yml',
    ]);
  });

  it('list shows every rule with its status, naming what a rule that cannot fire lacks', async () => {
    const r = await vigil(['rules', 'list', '--data-dir', 'data', '--json'], dir);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Array<{ id: string; status: { canFire: boolean; reason?: string } }>;
    const byId = new Map(list.map((x) => [x.id, x]));
    expect(byId.get('7f0c0d3e-1b6e-4d8a-9a51-2f1c7a8e0001')?.status.canFire).toBe(true);
    expect(byId.get('7f0c0d3e-1b6e-4d8a-9a51-2f1c7a8e0002')?.status).toMatchObject({ canFire: false, reason: 'no Vigil source for logsource product=linux category=process_creation' });
    // the starter pack is there too
    expect(byId.get('3f1c6a52-1d0e-4c55-9a61-0b7a5f0c1002')?.status.canFire).toBe(true);
  });

  it('test says which events match and why the others do not', async () => {
    await writeFile(
      join(dir, 'events.txt'),
      [
        '<38>Dec  7 10:00:00 gw-1 sshd[77]: Bad protocol version identification \'GET / HTTP/1.1\' from 198.51.100.3 port 40222',
        '<38>Dec  7 10:00:01 gw-1 nginx[78]: Bad protocol version identification in a web log',
        '<38>Dec  7 10:00:02 gw-1 sshd[79]: Connection closed by 198.51.100.3 port 40223',
        '{"kind":"net","device":"gw-1","ts":1733565600000,"src":"10.0.0.1","dst":"10.0.0.2","dport":22,"proto":"tcp","bytes":60,"packets":1}',
        '{"kind":"nonsense"}',
      ].join('\n'),
    );
    const r = await vigil(['rules', 'test', '7f0c0d3e-1b6e-4d8a-9a51-2f1c7a8e0001', '--events', 'events.txt', '--data-dir', 'data', '--json'], dir);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { events: Array<{ line: number; matched: boolean; reasons: string[] }> };
    expect(out.events.map((e) => e.matched)).toEqual([true, false, false, false, false]);
    expect(out.events[1]!.reasons.join(' ')).toMatch(/logsource condition does not hold/);
    expect(out.events[2]!.reasons.join(' ')).toMatch(/keywords: message \(keywords\) expects .*Bad protocol version identification.*the event has "Connection closed/);
    expect(out.events[3]!.reasons.join(' ')).toMatch(/event kind net is not among the rule's kinds \(auth, log\)/);
    expect(out.events[4]!.reasons.join(' ')).toMatch(/not an event/);
  });

  it('the detector loads the data directory\'s rules at start', async () => {
    const d = await Detector.create({ dataDir: join(dir, 'data'), model: null });
    const ids = d.rules.list().map((r) => r.id);
    expect(ids).toContain('7f0c0d3e-1b6e-4d8a-9a51-2f1c7a8e0001');
    expect(ids).toContain('3f1c6a52-1d0e-4c55-9a61-0b7a5f0c1002');
  });
});
