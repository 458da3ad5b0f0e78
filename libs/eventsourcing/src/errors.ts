/** An append whose expected stream version no longer holds: someone else appended first. */
export class ConcurrencyError extends Error {
  readonly code = 'concurrency_conflict';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number | undefined,
    readonly actualVersion?: number,
  ) {
    super(
      `Stream ${streamId} changed concurrently: expected version ${expectedVersion ?? 'any'}` +
        (actualVersion === undefined ? '' : `, found ${actualVersion}`),
    );
    this.name = 'ConcurrencyError';
  }
}
