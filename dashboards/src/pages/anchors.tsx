/**
 * The auditor's view of the chain anchors and witness cosignatures (from the node's public
 * /anchors.json). The anchors shown are the node's claims; the verify page checks a
 * bundle's anchor against the chain itself, through the RPC URL given here.
 */
import { useEffect, useState } from 'preact/hooks';
import { Panel } from '../ui.js';

export interface AnchorInfo {
  enabled: boolean;
  chainId?: number;
  contract?: string;
  account?: string;
  rpcUrl?: string;
  anchoredSize?: number;
  latestCheckpointSize?: number;
  consecutiveFailures?: number;
  pending?: { txHash: string; size: number } | null;
  anchors?: Array<{ txHash: string; blockNumber: number; blockHash: string; logIndex: number; size: number; root: string; at: number }>;
  witnesses: string[];
  cosignatures: Array<{ witness: string; keyId: string; publicKey: string; time: number }>;
  latestPublished: { size: number } | null;
}

export function useAnchorInfo(): AnchorInfo | null {
  const [info, setInfo] = useState<AnchorInfo | null>(null);
  useEffect(() => {
    let stop = false;
    const load = (): void => {
      fetch('/anchors.json')
        .then((r) => r.json() as Promise<AnchorInfo>)
        .then((i) => !stop && setInfo(i), () => undefined);
    };
    load();
    const t = setInterval(load, 5000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);
  return info;
}

export function AnchorsPanel() {
  const info = useAnchorInfo();
  if (!info) return null;
  return (
    <>
      <Panel title="Chain anchors">
        {!info.enabled ? (
          <p class="small">This node does not anchor its checkpoints on a chain{info.witnesses.length === 0 ? ' and has no witnesses: a rollback of its ledger cannot be detected' : ''}.</p>
        ) : (
          <>
            <p class="small" data-testid="anchor-summary">
              Chain {info.chainId}, contract <span class="mono">{info.contract}</span>, node account <span class="mono">{info.account}</span>, RPC <span class="mono">{info.rpcUrl}</span>.
              Anchored up to {info.anchoredSize?.toLocaleString()} of {info.latestCheckpointSize?.toLocaleString()} entries
              {info.pending ? `; anchor of ${info.pending.size.toLocaleString()} pending` : ''}
              {info.consecutiveFailures ? `; ${info.consecutiveFailures} failure(s) in a row, retrying` : ''}.
            </p>
            <table class="table small" aria-label="Anchors">
              <thead>
                <tr>
                  <th>Size</th>
                  <th>Block</th>
                  <th>Transaction</th>
                  <th>Root</th>
                </tr>
              </thead>
              <tbody>
                {(info.anchors ?? []).slice(0, 10).map((a) => (
                  <tr class="anchor-row">
                    <td>{a.size.toLocaleString()}</td>
                    <td>{a.blockNumber}</td>
                    <td class="mono hash">{a.txHash}</td>
                    <td class="mono hash">{a.root}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Panel>
      <Panel title="Witnesses">
        {info.witnesses.length === 0 ? (
          <p class="small">No witnesses configured.</p>
        ) : (
          <>
            <p class="small">
              {info.witnesses.length} witness(es); latest checkpoint they all co-signed: {info.latestPublished ? info.latestPublished.size.toLocaleString() : 'none yet'}.
            </p>
            <ul class="small" aria-label="Cosignatures">
              {info.cosignatures.map((c) => (
                <li class="cosignature">
                  <strong>{c.witness}</strong> key <span class="mono">{c.keyId}</span> at {new Date(c.time * 1000).toISOString()}
                </li>
              ))}
            </ul>
          </>
        )}
      </Panel>
    </>
  );
}
