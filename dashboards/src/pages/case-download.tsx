/** The incident's case bundle (vigil-case/v1) as one file, for the auditor (api/case-bundle.ts). */
import { useState } from 'preact/hooks';
import { gql, type ApiError } from '../api.js';
import { ErrorBox, downloadJson, useSession } from '../ui.js';

export function CaseBundleButton({ id, title }: { id: string; title: string }) {
  const { token } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const download = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const { caseBundle } = await gql<{ caseBundle: { parts: unknown[] } | null }>(token, 'query ($id: ID!) { caseBundle(incidentId: $id) }', { id });
      if (!caseBundle) throw new Error(`no incident ${id}`);
      downloadJson(`vigil-case-${id.slice(0, 16)}.json`, caseBundle);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="case-download">
      <button type="button" onClick={download} disabled={busy} aria-label={`Download case bundle for ${title}`}>
        {busy ? 'Preparing…' : 'Download case bundle'}
      </button>
      <ErrorBox error={error} />
    </span>
  );
}
