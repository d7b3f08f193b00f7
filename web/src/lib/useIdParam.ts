import { useParams } from 'react-router';

/** The :id of the route, or null when it is not a positive integer (the page shows 404). */
export function useIdParam(): number | null {
  const { id } = useParams();
  const n = Number(id);
  return Number.isSafeInteger(n) && n > 0 && n <= 2147483647 ? n : null;
}
