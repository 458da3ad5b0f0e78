import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

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

/** Problems with `data` as an instance of the contract of `type`; empty when it conforms or has no contract. */
export function contractProblems(type: string, data: unknown): string[] {
  const contract = contracts.get(type);
  if (!contract) return [];
  if (data === null || typeof data !== 'object') return ['data: must be an object'];
  const instance = plainToInstance(contract.dto, data);
  return flatten(validateSync(instance, { forbidUnknownValues: false, whitelist: false }));
}

/** Throws ContractViolationError unless `data` conforms to the contract of `type`. */
export function assertContract(type: string, data: unknown): void {
  const problems = contractProblems(type, data);
  if (problems.length > 0) throw new ContractViolationError(type, problems);
}
