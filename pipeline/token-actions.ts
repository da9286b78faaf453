/**
 * Token actions made where the ledger could not be written — `vigil token create|revoke`
 * (the running node holds the ledger's writer lock, and a CLI must never open the log with
 * a key it may not have), and the demo's first start — wait in the store's action history
 * with no ledger index. The node appends them: at start and then every few seconds.
 *
 * Idempotent: an action whose id the ledger already proves (the node stopped between the
 * append and recording its index) is not appended twice.
 */
import type { AuditLog } from '../api/index.js';
import type { SqliteStore } from '../store/index.js';
import type { Logger } from './logger.js';

export async function appendPendingActions(store: SqliteStore, audit: AuditLog): Promise<number> {
  let n = 0;
  for (const action of store.actionsNotInLedger()) {
    const known = await audit.proveById(action.id);
    if (known) {
      store.setActionLedgerIndex(action.id, known.leafIndex);
      continue;
    }
    const { ledgerIndex: _unset, ...body } = action;
    const receipt = await audit.appendAction({ ts: action.ts, body });
    store.setActionLedgerIndex(action.id, receipt.index);
    n++;
  }
  return n;
}

/** Runs `appendPendingActions` now and every `everyMs`, one run at a time; returns a stop function. */
export function startPendingActions(store: SqliteStore, audit: AuditLog, logger: Logger, everyMs = 2_000): { poke(): Promise<void>; stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const poke = (): Promise<void> => {
    running ??= appendPendingActions(store, audit)
      .then((n) => {
        if (n > 0) logger.info({ actions: n }, 'token actions made outside the API appended to the ledger');
      })
      .catch((err: unknown) => logger.error({ err }, 'appending token actions to the ledger failed; will retry'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void poke(), everyMs);
  timer.unref();
  return {
    poke,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
