/**
 * The authority's decisions as feedback for `vigil train`: threshold choice only. Unit
 * level on a small trained model (overruled false positives raise a family's threshold
 * just past them, never lower it; with attack labels too, F1 chooses), then the command:
 * `vigil train --feedback` on a labels file names the change in the saved model.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, trainDetectorModel, type ModelBundle } from '../detector/index.js';
import type { VigilEvent } from '../events/index.js';
import { thresholdFromFeedback } from '../pipeline/commands/feedback.js';
import { northTrack } from './detector-fixtures.js';
import { tempDir, vigilBin } from './helpers.js';

function vigil(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [vigilBin, ...args], { timeout: 150_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr });
    });
  });
}

describe('feedback from the authority chooses the threshold', () => {
  const tmp = tempDir('vigil-feedback-');
  let bundle: ModelBundle;
  let events: VigilEvent[];
  beforeAll(async () => {
    events = [...northTrack('V-1', 400, 12), ...northTrack('V-2', 400, 10, 100, { lon: 103.8201 })].sort((a, b) => a.vigil.ts - b.vigil.ts);
    bundle = await trainDetectorModel([events], { epochs: 1, maxRows: 2_000, backend: 'cpu' });
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('raises a family past its overruled false positives, leaves the others, and never lowers one', () => {
    const t = bundle.threshold;
    const fp = Math.min(100, t + 0.4);
    const raised = thresholdFromFeedback(bundle, [fp, t - 5, t - 1], [0, 0, 0], ['vehicle', 'vehicle', 'device'], 'feedback.ndjson');
    expect(raised.thresholds?.['vehicle']).toBeGreaterThan(fp);
    expect(raised.thresholds?.['vehicle']).toBeLessThanOrEqual(100);
    expect(raised.thresholds?.['device']).toBeUndefined();
    expect(raised.hash).not.toBe(bundle.hash);
    expect(raised.thresholdSource).toMatch(/overruled false positives \(feedback\.ndjson\): vehicle/);
    // False positives the model already scores under its threshold change nothing.
    expect(thresholdFromFeedback(bundle, [t - 3, t - 2], [0, 0], ['vehicle', 'vehicle'], 'f')).toBe(bundle);
  });

  it('with hand-flagged attacks among the labels, picks the F1 threshold that separates them', () => {
    const scores = [10, 20, 30, 95, 97, 99];
    const labels = [0, 0, 0, 1, 1, 1];
    const chosen = thresholdFromFeedback(bundle, scores, labels, ['vehicle', 'vehicle', 'vehicle', 'vehicle', 'vehicle', 'vehicle'], 'f');
    const thr = chosen.thresholds?.['vehicle'] ?? chosen.threshold;
    expect(thr).toBeGreaterThan(30);
    expect(thr).toBeLessThanOrEqual(95);
    expect(chosen.thresholdSource).toMatch(/authority feedback f/);
  });

  it('vigil train --feedback takes a labels file and records the change in the saved model', { timeout: 160_000 }, async () => {
    const lift = (e: VigilEvent) => JSON.stringify({ kind: 'bsm', vehicle: e.vigil.entity.id, ts: e.vigil.ts, ...e.vigil.vehicle });
    const eventsPath = join(tmp.dir, 'events.ndjson');
    await writeFile(eventsPath, `${events.map(lift).join('\n')}\n`);
    // Every event overruled as a false positive: whichever scores highest, the threshold passes it.
    const labelsPath = join(tmp.dir, 'feedback.ndjson');
    await writeFile(labelsPath, events.map((e) => `${JSON.stringify({ id: e.id, label: 'normal', decision: 'test' })}\n`).join(''));
    const r = await vigil(['train', '--events', eventsPath, '--data-dir', tmp.dir, '--epochs', '1', '--max-rows', '2000', '--backend', 'cpu', '--feedback', labelsPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/feedback .*feedback\.ndjson: 800 of 800 labelled events found/);
    const saved = (await loadModel(join(tmp.dir, 'model')))!;
    expect(saved.thresholdSource).toMatch(/raised past the authority's overruled false positives/);
  });
});
