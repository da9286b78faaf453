/**
 * Turning simulator output into what the rest of Vigil consumes: ingest items made by the
 * events part's own parser (so a label's id is exactly the id the pipeline will store),
 * and label lines kept apart from the events.
 */
import { parseJsonRecord, resolveValidationOptions, type ResolvedValidationOptions, type VigilEvent } from '../../events/index.js';
import { CollectorError } from '../errors.js';
import type { IngestItem } from '../sink.js';
import type { AttackType } from './attacks.js';
import type { SimulatorOptions } from './options.js';
import { CitySimulator, type SimEvent, type SimulatorCounts, type WindowLabel } from './simulator.js';

/** Ground truth for one event (by its id), or for a window in which a device sent nothing. */
export type Label = { id: string; label: 'normal' } | { id: string; label: 'attack'; attack: AttackType } | WindowLabel;

/**
 * Parse one simulated line as any collector would. A rejection cannot happen for the
 * simulator's own output unless it has a bug; it is returned as a rejected item all the
 * same, so that it reaches the dead-letter store rather than vanishing.
 */
export function toIngestItem(output: SimEvent, validation: ResolvedValidationOptions): { item: IngestItem; label?: Label } {
  const result = parseJsonRecord(output.line, validation);
  if (!result.ok) return { item: { raw: output.line, rejection: result.rejection } };
  return { item: { raw: output.line, event: result.event }, label: labelOf(output, result.event) };
}

function labelOf(output: SimEvent, event: VigilEvent): Label {
  return output.attack === undefined ? { id: event.id, label: 'normal' } : { id: event.id, label: 'attack', attack: output.attack };
}

export interface SimulationChunk {
  /** Simulated time reached, epoch milliseconds. */
  until: number;
  /** Event lines (NDJSON, no trailing newlines). */
  events: string[];
  /** Label lines, one per event in the same order, plus silent-device windows where they close. */
  labels: string[];
}

export interface SimulationRun {
  /** Simulated seconds; runs in whole 100 ms steps (rounded up). */
  duration: number;
  /** Simulated seconds per chunk. @default 1 */
  chunkSeconds?: number;
}

/**
 * A whole simulation, chunk by chunk (a chunk per simulated second by default), for
 * `vigil simulate` and tests. Returns the counts when done.
 */
export function* simulate(options: SimulatorOptions & SimulationRun): Generator<SimulationChunk, SimulatorCounts> {
  const { duration, chunkSeconds = 1, ...simOptions } = options;
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration <= 0 || duration > 31 * 86_400) {
    throw new CollectorError('BAD_OPTION', `simulator option duration: expected seconds from 0 to 2678400 (31 days), got ${String(duration)}`, false);
  }
  if (typeof chunkSeconds !== 'number' || !Number.isFinite(chunkSeconds) || chunkSeconds <= 0) {
    throw new CollectorError('BAD_OPTION', `simulator option chunkSeconds: expected a positive number, got ${String(chunkSeconds)}`, false);
  }
  const sim = new CitySimulator(simOptions);
  const end = sim.options.start + Math.ceil((duration * 1000) / 100) * 100;
  // Timestamps are simulated, possibly in the future of the machine's clock: ids do not depend on it.
  const validation = resolveValidationOptions({ now: () => end });
  const chunkMs = Math.max(100, Math.round(chunkSeconds * 1000));
  while (sim.time < end) {
    const until = Math.min(end, sim.time + chunkMs);
    const outputs = sim.advance(until);
    const chunk: SimulationChunk = { until, events: [], labels: [] };
    if (sim.time >= end) outputs.push(...sim.finish());
    for (const output of outputs) {
      if (output.type === 'window') {
        chunk.labels.push(JSON.stringify(output.label));
        continue;
      }
      const { item, label } = toIngestItem(output, validation);
      if (!label) {
        throw new CollectorError('SOURCE_UNREADABLE', `simulator produced an invalid line (${item.rejection?.message ?? 'unknown'}): ${output.line}`, false);
      }
      chunk.events.push(output.line);
      chunk.labels.push(JSON.stringify(label));
    }
    yield chunk;
  }
  return sim.counts;
}
