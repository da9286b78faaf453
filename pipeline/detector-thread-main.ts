/**
 * The detector's thread (detector-thread.ts): builds the detector as analysis.ts does, with
 * its own read connection to the store for the analysts' triage of incidents, and answers
 * every batch and tick with its decisions, in the order they came.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { VigilEvent } from '../events/index.js';
import { Detector, DetectorError, loadModel, type DetectorOptions } from '../detector/index.js';
import { ruleBookAdmin, type RuleAdmin } from '../api/index.js';
import { SqliteStore } from '../store/index.js';
import type { CityDescription } from '../collectors/index.js';
import { StoreIncidentBook } from './analysis.js';
import { readCityFile } from './city.js';
import { cityFromDescription } from './demo.js';
import type { DetectorThreadSetup, FromThread, RuleOp, ToThread } from './detector-thread.js';

const port = parentPort!;
const setup = workerData as DetectorThreadSetup;
const send = (m: FromThread): void => port.postMessage(m);
const log = (level: 'info' | 'warn' | 'error', message: string): void => send({ type: 'log', level, message });

async function build(): Promise<{ detector: Detector; admin: RuleAdmin; store: SqliteStore }> {
  const store = SqliteStore.open({ dataDir: setup.dataDir });
  const city = setup.cityFile ? await readCityFile(setup.cityFile, (m) => log('warn', m)) : setup.city ? cityFromDescription(setup.city as CityDescription) : undefined;
  const options: DetectorOptions = {
    dataDir: setup.dataDir,
    ...(setup.rules ? { rules: setup.rules } : {}),
    incidents: new StoreIncidentBook(store),
    // The main thread already logged what the detector says at start; only warnings here.
    logger: { info: () => {}, warn: (m) => log('warn', m) },
    ...(city ? { city } : {}),
  };
  const detector = await Detector.create(options).catch((err: unknown) => {
    if (!(err instanceof DetectorError) || err.code !== 'MODEL_INVALID') throw err;
    return Detector.create({ ...options, model: null });
  });
  return { detector, admin: ruleBookAdmin(detector.rules), store };
}

/** Exception ids are the rule book's own: the main thread's ids are mapped onto this book's. */
const renamed = new Map<string, string>();
async function applyRule(admin: RuleAdmin, op: RuleOp): Promise<void> {
  try {
    if (op.op === 'addRule') await admin.addRule(op.source, op.actor);
    else if (op.op === 'addException') renamed.set(op.id, (await admin.addException(op.spec, op.actor)).id);
    else if (op.op === 'addSuppression') await admin.addSuppression(op.spec, op.actor);
    else await admin.disable(op.kind, renamed.get(op.id) ?? op.id, op.actor);
  } catch (err) {
    // It applied on the main thread's book of the same rules; a difference here is a bug to see.
    log('error', `detector thread: rule change ${op.op} did not apply: ${err instanceof Error ? err.message : String(err)}`);
  }
}

try {
  const { detector, admin } = await build();
  let queue = Promise.resolve();
  port.on('message', (m: ToThread) => {
    // Rule changes are async in the admin's interface; a chain keeps every message in order.
    queue = queue.then(() => handle(m)).catch((err: unknown) => {
      // As the inline detector's failure is (analysis.ts): reported, the batch answered empty.
      log('error', `detector thread: ${m.type} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      if (m.type === 'batch' || m.type === 'tick' || (m.type === 'authority' && !m.replay)) send({ type: 'out', seq: m.seq, alerts: [], incidents: [], reputation: [] });
    });
  });
  const handle = async (m: ToThread): Promise<void> => {
      if (m.type === 'rule') return applyRule(admin, m.op);
      if (m.type === 'authority') {
        const book = detector.reputation;
        const d = m.decision;
        const last = book.lastTs(d.entity);
        const point = d.decision === 'clear' ? book.overrule(d.entity) : book.flagByHand(d.entity, d.entityType, Number.isFinite(last) ? last : d.now);
        if (m.replay) return;
        return send({ type: 'out', seq: m.seq, alerts: [], incidents: [], reputation: point ? [point] : [] });
      }
      if (m.type === 'reloadModel') {
        const bundle = await loadModel(join(setup.dataDir, 'model')).catch(() => undefined);
        if (bundle) detector.setModel(bundle);
        return;
      }
      if (m.type === 'tick') {
        const out = detector.tick(m.now);
        const evicted = m.evictBefore !== undefined ? detector.evictIdle(m.evictBefore) : undefined;
        return send({ type: 'out', seq: m.seq, alerts: out.alerts, incidents: out.incidents, reputation: out.reputation, ...(evicted !== undefined ? { evicted, entities: detector.reputation.size } : {}) });
      }
      const lines = m.lines.split('\n');
      const events = new Array<VigilEvent>(lines.length);
      let latestTs = -Infinity;
      for (let i = 0; i < lines.length; i++) {
        const e = JSON.parse(lines[i]!) as VigilEvent;
        events[i] = e;
        if (e.vigil.ts > latestTs) latestTs = e.vigil.ts;
      }
      const out = detector.process(events);
      send({ type: 'out', seq: m.seq, alerts: out.alerts, incidents: out.incidents, reputation: out.reputation, latestTs });
  };
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'fatal', error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
