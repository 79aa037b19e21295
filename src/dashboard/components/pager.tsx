import { useQuery } from '../hooks/use-query';

/** Cursors of earlier pages, by listing: "previous" within this tab's session. */
const trail = new Map<string, (string | undefined)[]>();

/**
 * Cursor paging for a listing whose cursor lives in the URL (`?cursor=`):
 * next, previous (pages seen in this session) and first. A page is where a
 * cursor points, so new or removed items never shift the others between pages.
 */
export function Pager({ listing, nextCursor }: { listing: string; nextCursor: string | null }) {
  const [query, update] = useQuery();
  const cursor = query['cursor'];
  const seen = trail.get(listing) ?? [];
  const next = () => {
    trail.set(listing, [...seen, cursor]);
    update({ cursor: nextCursor ?? undefined }, true);
  };
  const previous = () => {
    const before = seen.slice(0, -1);
    trail.set(listing, before);
    update({ cursor: seen.at(-1) }, true);
  };
  const first = () => {
    trail.set(listing, []);
    update({ cursor: undefined }, true);
  };
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" onClick={first} disabled={cursor === undefined}>
        First page
      </button>
      <button type="button" onClick={previous} disabled={seen.length === 0 || cursor === undefined}>
        ← Previous
      </button>
      <button type="button" onClick={next} disabled={nextCursor === null}>
        Next →
      </button>
    </nav>
  );
}
