/**
 * Scoring attacks that send nothing (a device gone silent): labelled time windows against
 * the alerts raised for their entity.
 *
 * - A window is detected when an alert for its entity falls inside it or within `slackMs`
 *   after its end (a silence can only be noticed some time after it began); any other alert
 *   is a false alarm.
 * - A window still open when the data end (its end at or after the last event) is
 *   **censored**: its true length is unknown and the slack after it never came, so it is
 *   neither counted as missed nor as found, and an alert inside it is not a false alarm.
 *   The same rule holds whatever the detector: it does not depend on any rule's timespan.
 */
export interface LabelledWindow {
  entity: string;
  start: number;
  end: number;
}

export interface WindowAlert {
  entity: string;
  ts: number;
}

export interface WindowScore {
  /** Windows scored (censored ones excluded). */
  windows: number;
  detected: number;
  falseAlerts: number;
  /** Windows cut by the end of the data, left out of P/R/F1 … */
  censored: number;
  /** … and how many of them an alert found all the same (for the record). */
  censoredDetected: number;
  precision: number;
  recall: number;
  f1: number;
}

export function scoreWindows(labelled: readonly LabelledWindow[], alerts: readonly WindowAlert[], dataEnd: number, slackMs = 180_000): WindowScore {
  const censored = labelled.map((w) => w.end >= dataEnd);
  const hit = new Set<number>();
  const censoredHit = new Set<number>();
  let falseAlerts = 0;
  let trueAlerts = 0;
  for (const a of alerts) {
    const k = labelled.findIndex((w) => w.entity === a.entity && a.ts >= w.start && a.ts <= w.end + slackMs);
    if (k < 0) falseAlerts++;
    else if (censored[k]) censoredHit.add(k);
    else {
      hit.add(k);
      trueAlerts++;
    }
  }
  const nCensored = censored.filter(Boolean).length;
  const windows = labelled.length - nCensored;
  const detected = hit.size;
  const precision = trueAlerts + falseAlerts > 0 ? trueAlerts / (trueAlerts + falseAlerts) : 0;
  const recall = windows > 0 ? detected / windows : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { windows, detected, falseAlerts, censored: nCensored, censoredDetected: censoredHit.size, precision, recall, f1 };
}
