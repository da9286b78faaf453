/**
 * CrashRestarter (pipeline/kafka-restart.ts) through kafkajs's consumer interface: which
 * crashes it restarts, how long it waits, and that it stays quiet once stopped. The live
 * crash, forced by a broker, is in kafka-recovery.test.ts.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CrashRestarter } from '../pipeline/kafka-restart.js';

const CRASH = 'consumer.crash';

/** A consumer's instrumentation side, as kafkajs exposes it (`on(events.CRASH, …)`). */
class FakeConsumer {
  readonly events = { CRASH } as never;
  private readonly emitter = new EventEmitter();
  disconnected = 0;
  on(event: string, listener: (e: { payload: { error: Error; groupId: string; restart: boolean } }) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }
  crash(restart: boolean): void {
    this.emitter.emit(CRASH, { payload: { error: new Error('MESSAGE_TOO_LARGE'), groupId: 'g', restart } });
  }
}

describe('CrashRestarter', () => {
  let consumers: FakeConsumer[];
  let failStarts: number;
  let seen: Array<{ restarts: number; delayMs: number }>;
  let restarter: CrashRestarter;

  beforeEach(() => {
    vi.useFakeTimers();
    consumers = [];
    failStarts = 0;
    seen = [];
    restarter = new CrashRestarter(
      async () => {
        const c = new FakeConsumer();
        consumers.push(c);
        restarter.watch(c as never);
        if (failStarts > 0) {
          failStarts--;
          throw new Error('connect ECONNREFUSED');
        }
      },
      async (c) => void (c as FakeConsumer).disconnected++,
      { initialDelayMs: 100, maxDelayMs: 350, onRestart: (_err, info) => seen.push(info) },
    );
  });
  afterEach(() => {
    restarter.stop();
    vi.useRealTimers();
  });

  it('leaves a crash kafkajs restarts itself alone', async () => {
    await restarter.begin();
    consumers[0]!.crash(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(consumers).toHaveLength(1);
    expect(restarter.restarts).toBe(0);
  });

  describe('when the crash is not retriable', () => {
    it('starts a new consumer after the delay and retires the crashed one', async () => {
      await restarter.begin();
      consumers[0]!.crash(false);
      await vi.advanceTimersByTimeAsync(99);
      expect(consumers).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(consumers).toHaveLength(2);
      expect(consumers[0]!.disconnected).toBe(1);
      expect(restarter.restarts).toBe(1);
    });

    it('doubles the delay while crashes repeat, up to the bound, and starts short again after a good batch', async () => {
      await restarter.begin();
      for (let k = 0; k < 4; k++) {
        consumers.at(-1)!.crash(false);
        await vi.advanceTimersByTimeAsync(400);
      }
      expect(seen.map((s) => s.delayMs)).toEqual([100, 200, 350, 350]);
      restarter.healthy();
      consumers.at(-1)!.crash(false);
      expect(seen.at(-1)).toEqual({ restarts: 5, delayMs: 100 });
    });

    it('counts a start that fails as one more crash and tries again', async () => {
      await restarter.begin();
      failStarts = 2;
      consumers[0]!.crash(false);
      await vi.advanceTimersByTimeAsync(100 + 200 + 350);
      expect(consumers).toHaveLength(4);
      expect(seen.map((s) => s.delayMs)).toEqual([100, 200, 350]);
    });

    it('ignores a crash of a consumer it no longer watches, and everything once stopped', async () => {
      await restarter.begin();
      const first = consumers[0]!;
      first.crash(false);
      await vi.advanceTimersByTimeAsync(100);
      first.crash(false);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(consumers).toHaveLength(2);
      restarter.stop();
      consumers[1]!.crash(false);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(consumers).toHaveLength(2);
      expect(restarter.restarts).toBe(1);
    });
  });
});
