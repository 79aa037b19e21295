import { useLocation } from 'preact-iso';

/** Changes query parameters: a new history entry with `push`, else the current one replaced. */
export type QueryUpdate = (changes: Record<string, string | undefined>, push?: boolean) => void;

/** The page's query parameters, and a way to change some of them (the URL is the state). */
export function useQuery(): [Record<string, string>, QueryUpdate] {
  const location = useLocation();
  const update: QueryUpdate = (changes, push = false) => {
    const search = new URLSearchParams(location.url.split('?')[1] ?? '');
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined || value === '') search.delete(key);
      else search.set(key, value);
    }
    const text = search.toString();
    location.route(`${location.path}${text === '' ? '' : `?${text}`}`, !push);
  };
  return [location.query, update];
}
