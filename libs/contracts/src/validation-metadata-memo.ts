import { getMetadataStorage, useContainer } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata.js';

/** The part of class-validator's (global, process-wide) metadata storage this memo wraps. */
interface Storage {
  getTargetValidationMetadatas(target: object, schema: string, always: boolean, strictGroups: boolean, groups?: string[]): ValidationMetadata[];
  groupByPropertyName(metadata: ValidationMetadata[]): Record<string, ValidationMetadata[]>;
  addValidationMetadata(metadata: ValidationMetadata): void;
  meshfabMemo?: true;
}

/**
 * Remembers class-validator's metadata lookups. For every object it validates, class-validator looks up
 * the rules of the object's class by walking every class it knows (`prototype instanceof` each, for
 * inherited rules) and groups them by property: with the hundreds of DTO and contract classes of the
 * network that walk was most of a contract check (issue 20's profile: 10 % of the pipeline's CPU). The
 * rules of a class do not change once its decorators ran, so the answer is kept per class and arguments;
 * a rule registered later (a decorator run late) forgets every answer. The lists are only read by
 * class-validator, never changed. Idempotent: the storage is patched once per process.
 *
 * Also gives class-validator a container that finds each constraint's validator instance in a Map: its
 * default container searches a list of every validator made so far, once per rule checked. Same
 * semantics: one instance per constraint class, made when first needed.
 */
export function memoizeValidationMetadata(): void {
  const storage = getMetadataStorage() as unknown as Storage;
  if (storage.meshfabMemo) return;
  storage.meshfabMemo = true;
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const add = storage.addValidationMetadata.bind(storage);
  let byTarget = new Map<object, Map<string, ValidationMetadata[]>>();
  let grouped = new WeakMap<ValidationMetadata[], Record<string, ValidationMetadata[]>>();
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0001') ?? ''}`;
    let answers = byTarget.get(target);
    if (!answers) byTarget.set(target, (answers = new Map<string, ValidationMetadata[]>()));
    let found = answers.get(key);
    if (!found) answers.set(key, (found = lookup(target, schema, always, strictGroups, groups)));
    return found;
  };
  storage.groupByPropertyName = (metadata) => {
    let found = grouped.get(metadata);
    if (!found) grouped.set(metadata, (found = group(metadata)));
    return found;
  };
  const validators = new Map<unknown, unknown>();
  useContainer({
    get: <T>(someClass: (new () => T) | (() => T)): T => {
      let instance = validators.get(someClass) as T | undefined;
      if (instance === undefined) validators.set(someClass, (instance = new (someClass as new () => T)()));
      return instance;
    },
  });
  storage.addValidationMetadata = (metadata) => {
    byTarget = new Map();
    grouped = new WeakMap();
    add(metadata);
  };
}
