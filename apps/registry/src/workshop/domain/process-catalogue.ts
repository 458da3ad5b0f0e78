import { PROCESS_CATALOGUE } from '#libs/contracts';

const KNOWN = new Set<string>(PROCESS_CATALOGUE);

export const isKnownProcess = (process: string): boolean => KNOWN.has(process);

/** Levenshtein distance (insert, delete, substitute each cost 1). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * Catalogue ids close to an unknown one: within an edit distance of a third of its length (at least
 * 2), or containing it / contained in it; nearest first, at most five.
 */
export function closeProcessMatches(unknown: string, catalogue: readonly string[] = PROCESS_CATALOGUE): string[] {
  const wanted = unknown.trim().toLowerCase().replace(/[\s_]+/g, '-');
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return catalogue
    .map((id) => ({ id, distance: editDistance(wanted, id) }))
    .filter(({ id, distance }) => distance <= limit || (wanted.length >= 3 && (id.includes(wanted) || wanted.includes(id))))
    .sort((x, y) => x.distance - y.distance || x.id.localeCompare(y.id))
    .slice(0, 5)
    .map(({ id }) => id);
}
