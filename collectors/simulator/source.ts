/**
 * The simulator as a live source for `vigil start --demo`: the same generator, paced by a
 * clock so that simulated time is real time (every `ts` is "now"), feeding the pipeline in
 * small batches.
 */
import { resolveValidationOptions, type ValidationOptions } from '../../events/index.js';
import { CollectorError } from '../errors.js';
import type { EventSource, IngestItem, IngestSink } from '../sink.js';
import type { SimulatorOptions } from './options.js';
import { toIngestItem, type Label } from './run.js';
import { CitySimulator, type SimulatorCounts } from './simulator.js';

export interface SimulatorSourceOptions extends Omit<SimulatorOptions, 'start'> {
  /** Clock, epoch milliseconds; simulated time follows it. @default Date.now */
  clock?: () => number;
  /** How often a batch is generated and submitted, milliseconds. @default 250 */
  intervalMs?: number;
  /** Waits between batches; tests pass one that returns at once. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Receives the ground truth of everything submitted (for a live evaluation). */
  onLabel?: (label: Label) => void;
  /** Called when a batch cannot be submitted; the source then stops. @default process.emitWarning */
  onError?: (err: unknown) => void;
  /** Passed to the events part's validation. @default its defaults, with `clock` as its clock */
  validation?: ValidationOptions;
}

export class SimulatorSource implements EventSource {
  readonly name = 'simulator';
  private sim: CitySimulator | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly clock: () => number;
  private readonly intervalMs: number;

  constructor(private readonly options: SimulatorSourceOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.intervalMs = options.intervalMs ?? 250;
    if (!Number.isFinite(this.intervalMs) || this.intervalMs < 1 || this.intervalMs > 60_000) {
      throw new CollectorError('BAD_OPTION', `simulator option intervalMs: expected milliseconds from 1 to 60000, got ${String(options.intervalMs)}`, false);
    }
  }

  /** What the simulator has sent so far (undefined before start). */
  get counts(): SimulatorCounts | undefined {
    return this.sim?.counts;
  }

  async start(sink: IngestSink): Promise<void> {
    if (this.running) throw new CollectorError('BAD_OPTION', 'simulator already started', false);
    const { clock: _c, intervalMs: _i, sleep: _s, onLabel: _l, onError: _e, validation, ...simOptions } = this.options;
    this.sim = new CitySimulator({ ...simOptions, start: this.clock() });
    const checked = resolveValidationOptions({ now: this.clock, ...validation });
    this.stopping = false;
    this.running = this.loop(this.sim, sink, checked);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  private async loop(sim: CitySimulator, sink: IngestSink, validation: ReturnType<typeof resolveValidationOptions>): Promise<void> {
    while (!this.stopping) {
      const outputs = sim.advance(this.clock());
      const items: IngestItem[] = [];
      for (const output of outputs) {
        if (output.type === 'window') {
          this.options.onLabel?.(output.label);
          continue;
        }
        const { item, label } = toIngestItem(output, validation);
        items.push(item);
        if (label) this.options.onLabel?.(label);
      }
      if (items.length > 0) {
        try {
          // wait: true — when the pipeline is full the simulator is slowed down, nothing is dropped.
          await sink.submit(this.name, items, { wait: true });
        } catch (err) {
          (this.options.onError ?? defaultOnError)(err);
          return;
        }
      }
      if (this.stopping) break;
      await this.pause();
    }
    for (const output of sim.finish()) if (output.type === 'window') this.options.onLabel?.(output.label);
  }

  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const sleep = this.options.sleep;
      if (sleep) {
        this.wake = resolve;
        sleep(this.intervalMs).then(resolve, resolve);
        return;
      }
      // stop() clears the timer, so a stopped source holds nothing open.
      const timer = setTimeout(resolve, this.intervalMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function defaultOnError(err: unknown): void {
  process.emitWarning(`simulator stopped: ${err instanceof Error ? err.message : String(err)}`);
}
