/** The rows of a query: TypeORM answers an UPDATE or DELETE … RETURNING with [rows, count], an INSERT or SELECT with rows. */
export function rowsOf<T>(result: unknown): T[] {
  const list = result as unknown[];
  return (Array.isArray(list[0]) && typeof list[1] === 'number' ? list[0] : list) as T[];
}
