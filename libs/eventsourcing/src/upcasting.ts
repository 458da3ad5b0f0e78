/**
 * Upcasters turn an old stored shape of an event into the current one when it is read, one schema
 * version at a time: `{ type: 'OrderSubmitted', fromVersion: 1, upcast: (v1) => v2 }`.
 */
export interface Upcaster {
  type: string;
  fromVersion: number;
  upcast(data: Record<string, unknown>): Record<string, unknown>;
}

export class Upcasters {
  private readonly byKey = new Map<string, Upcaster>();
  private readonly current = new Map<string, number>();

  constructor(upcasters: readonly Upcaster[] = []) {
    for (const u of upcasters) {
      const key = `${u.type}@${u.fromVersion}`;
      if (this.byKey.has(key)) throw new Error(`Two upcasters for ${key}`);
      this.byKey.set(key, u);
      this.current.set(u.type, Math.max(this.current.get(u.type) ?? 1, u.fromVersion + 1));
    }
  }

  /** The schema version new events of `type` are written with. */
  currentVersion(type: string): number {
    return this.current.get(type) ?? 1;
  }

  upcast(type: string, schemaVersion: number, data: Record<string, unknown>): { schemaVersion: number; data: Record<string, unknown> } {
    let version = schemaVersion;
    let shaped = data;
    for (let u = this.byKey.get(`${type}@${version}`); u; u = this.byKey.get(`${type}@${version}`)) {
      shaped = u.upcast(shaped);
      version += 1;
    }
    return { schemaVersion: version, data: shaped };
  }
}
