import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { memoizeValidationMetadata } from './validation-metadata-memo.js';

// Every service loads this module: class-validator's lookups are remembered process-wide from here on,
// for contract checks and HTTP request DTOs alike.
memoizeValidationMetadata();

export type ContractClass = new () => object;

interface RegisteredContract {
  type: string;
  producer: string;
  schemaVersion: number;
  dto: ContractClass;
}

const contracts = new Map<string, RegisteredContract>();

/**
 * Declares a class-validator DTO as the public (integration) contract of an event type. Only events
 * with a contract leave their service; they are validated when appended and again when consumed.
 */
export function IntegrationEvent(producer: string, type?: string, schemaVersion = 1) {
  return (target: ContractClass): void => {
    const name = type ?? target.name.replace(/Contract$/, '');
    const existing = contracts.get(name);
    if (existing && existing.dto !== target) {
      throw new Error(`Integration event ${name} is declared twice (${existing.producer} and ${producer})`);
    }
    contracts.set(name, { type: name, producer, schemaVersion, dto: target });
  };
}

export function contractOf(type: string): RegisteredContract | undefined {
  return contracts.get(type);
}

export function isIntegrationEvent(type: string): boolean {
  return contracts.has(type);
}

export function contractsOf(producer: string): RegisteredContract[] {
  return [...contracts.values()].filter((c) => c.producer === producer);
}

export class ContractViolationError extends Error {
  constructor(
    readonly eventType: string,
    readonly problems: string[],
  ) {
    super(`${eventType} does not match its contract: ${problems.join('; ')}`);
    this.name = 'ContractViolationError';
  }
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => `${path}: ${m}`);
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/**
 * Contract checks already made, keyed by event type and the data's JSON (the oldest forgotten first).
 * A check is a pure function of the JSON an event is stored and published as, and the same event is
 * checked several times in one process: when appended, then once by each of its consumers (three in the
 * embedded network). class-validator takes 100–200 µs for an order, the JSON a few µs.
 */
const checked = new Map<string, readonly string[]>();
const CHECKED_ENTRIES = 2_000;
/** Larger data is checked every time, so the memo stays within CHECKED_ENTRIES × this many characters. */
const CHECKED_MAX_KEY = 16_384;

/**
 * The newest `capacity` keys added, for a Map or Set that forgets its oldest: a ring of keys, O(1) per
 * add. (Deleting a Map's first key found by iterating it is not: the iteration walks over the holes
 * every earlier delete left until the table is rebuilt.)
 */
class Newest {
  private readonly ring: (string | undefined)[];
  private next = 0;
  constructor(capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }
  /** Records `key` as the newest; returns the key it pushes out, if any. */
  add(key: string): string | undefined {
    const out = this.ring[this.next];
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.ring.length;
    return out;
  }
}
const checkedOrder = new Newest(CHECKED_ENTRIES);

function check(dto: ContractClass, data: object): string[] {
  return flatten(validateSync(plainToInstance(dto, data), { forbidUnknownValues: false, whitelist: false }));
}

/**
 * Problems with `data` as an instance of the contract of `type`; empty when it conforms or has no contract.
 * The data is checked as JSON, the form it is stored and published in (a Date is its ISO string, an
 * undefined field is absent): what a consumer will be given is what passes or fails here.
 */
export function contractProblems(type: string, data: unknown): string[] {
  const contract = contracts.get(type);
  if (!contract) return [];
  if (data === null || typeof data !== 'object') return ['data: must be an object'];
  let json: string;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    return [`data: not representable as JSON (${error instanceof Error ? error.message : String(error)})`];
  }
  const key = `${type}\u0000${json}`;
  const known = checked.get(key);
  if (known) return [...known];
  const problems = check(contract.dto, JSON.parse(json) as object);
  if (key.length <= CHECKED_MAX_KEY) {
    checked.set(key, problems);
    const forgotten = checkedOrder.add(key);
    if (forgotten !== undefined) checked.delete(forgotten);
  }
  return [...problems];
}

/**
 * Ids of integration events whose data passed the contract check when this process appended them (the
 * newest CHECKED_AT_APPEND). The embedded transport hands a consumer the very rows those appends wrote,
 * at the current schema version (no upcaster ran): checking them again would check the same JSON against
 * the same contract in the same process. Events from Kafka, from another process or an earlier run, or
 * upcast, are not in it and are checked on consume as always.
 */
const checkedAtAppend = new Set<string>();
const checkedAtAppendOrder = new Newest(20_000);

/** Records that the event `eventId` passed its contract check when appended in this process. */
export function rememberCheckedAtAppend(eventId: string): void {
  if (checkedAtAppend.has(eventId)) return;
  checkedAtAppend.add(eventId);
  const forgotten = checkedAtAppendOrder.add(eventId);
  if (forgotten !== undefined) checkedAtAppend.delete(forgotten);
}

/** Whether this process appended the event `eventId` after checking it against its contract. */
export function wasCheckedAtAppend(eventId: string): boolean {
  return checkedAtAppend.has(eventId);
}

/** Throws ContractViolationError unless `data` conforms to the contract of `type`. */
export function assertContract(type: string, data: unknown): void {
  const problems = contractProblems(type, data);
  if (problems.length > 0) throw new ContractViolationError(type, problems);
}
