/** An append whose expected stream version no longer holds: someone else appended first. */
export class ConcurrencyError extends Error {
  readonly code = 'concurrency_conflict';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number | undefined,
    readonly actualVersion?: number,
    detail?: string,
    /**
     * The append was refused only because a younger transaction appended to the stream after this one
     * began writing (event-store.ts): the request itself is fine, and running it again in a new
     * transaction is the remedy, as for a deadlock (HTTP requests are served again, consumers retry).
     */
    readonly transient = false,
  ) {
    super(
      `Stream ${streamId} changed concurrently: expected version ${expectedVersion ?? 'any'}` +
        (actualVersion === undefined ? '' : `, found ${actualVersion}`) +
        (detail === undefined ? '' : ` (${detail})`),
    );
    this.name = 'ConcurrencyError';
  }
}
