/** A side panel with one event's raw JSON document (the normalised ECS event, as stored). */
import { useEffect } from 'preact/hooks';

export function EventFlyout({ id, title, document, onClose }: { id: string; title: string; document: unknown; onClose: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <aside class="flyout" role="dialog" aria-label={`Raw event ${id}`}>
      <div class="flyout-head">
        <strong>{title}</strong>
        <span class="spacer" />
        <button type="button" class="small" onClick={onClose}>
          Close
        </button>
      </div>
      <p class="mono small muted">{id}</p>
      <pre class="mono small raw-json">{JSON.stringify(document ?? { id, note: 'the document is not stored any more' }, null, 2)}</pre>
    </aside>
  );
}
