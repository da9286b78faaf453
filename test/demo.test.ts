import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, freePort, metricValue, tempDir, vigilBin, waitFor } from './helpers.js';

describe('vigil start --demo (what `npm start` runs)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('answers /healthz within 30 s and keeps accepting simulated events', async () => {
    const [port, mqttPort, syslogPort] = [await freePort(), await freePort(), await freePort()];
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [vigilBin, 'start', '--demo', '--data-dir', tmp.dir, '--port', String(port), '--mqtt-port', String(mqttPort), '--syslog-port', String(syslogPort)],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code, signal) => (out += `\n[vigil exited: ${code ?? signal}]`));
    try {
      const accepted = async (): Promise<number | undefined> => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`);
          return res.ok ? metricValue(await res.text(), 'vigil_events_accepted_total') : undefined;
        } catch {
          return undefined;
        }
      };
      const health = await waitFor(async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`);
          return res.ok ? ((await res.json()) as { status: string }) : undefined;
        } catch {
          return undefined;
        }
      }, 30_000, `/healthz (output so far: ${out})`);
      expect(health.status).toBe('ok');
      expect(Date.now() - started).toBeLessThan(30_000);
      const first = await waitFor(async () => ((await accepted()) ?? 0) > 0 ? accepted() : undefined, 30_000, 'first accepted events');
      const later = await waitFor(async () => {
        const n = await accepted();
        return n !== undefined && n > first! ? n : undefined;
      }, 15_000, 'accepted events to grow');
      expect(later).toBeGreaterThan(first!);
      expect(out).toContain(`http://127.0.0.1:${port}/healthz`);
      // Issue 16: the demo runs open on loopback, says so loudly, and says where its credentials are.
      expect(out).toMatch(/OPEN INGEST[\s\S]*HTTP ingest \(POST \/ingest\) on 127\.0\.0\.1/);
      expect(out).toContain('demo-tokens.json');
      expect(out).toContain('demo-sensor-key.json');
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
    expect(child.exitCode).toBe(0);
  }, 90_000);
});
