import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { withoutSubject } from './validation-message.js';

/**
 * Reads the variables a config class declares from `env`, converts them to the declared types,
 * validates them with the class's class-validator decorators and returns the typed instance.
 *
 * - Property initialisers are the defaults (`PORT: number = 3000`); a variable that is unset or
 *   empty keeps its default.
 * - `number` and `boolean` properties are converted from their string form (`'8080'`, `'true'`,
 *   `'false'`, `'1'`, `'0'`); a value that does not convert is left as it is, so the validators
 *   report it. `@Transform` decorators of class-transformer run as usual.
 * - On failure it throws one Error listing every bad variable and why; values are never echoed,
 *   since some of them are secrets.
 *
 * Annotate each property with its type (`PORT: number = 3000`, not `PORT = 3000`) so the
 * conversion can read it from the decorator metadata.
 */
export function loadConfig<T extends object>(schema: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const defaults = new schema() as Record<string, unknown>;
  const plain: Record<string, unknown> = {};
  for (const name of declaredProperties(schema, defaults)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (defaults[name] !== undefined) plain[name] = defaults[name];
      continue;
    }
    plain[name] = convert(raw, declaredType(schema, name, defaults[name]));
  }
  const config = plainToInstance(schema, plain, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new Error(`Invalid configuration (${schema.name}):\n${describe(errors).join('\n')}`);
  }
  return config;
}

function declaredProperties(schema: new () => object, defaults: object): Set<string> {
  const validated = getMetadataStorage()
    .getTargetValidationMetadatas(schema, '', true, false)
    .map((metadata) => metadata.propertyName);
  return new Set([...Object.keys(defaults), ...validated]);
}

type Declared = 'number' | 'boolean' | 'other';

function declaredType(schema: new () => object, name: string, fallback: unknown): Declared {
  const type: unknown = Reflect.getMetadata('design:type', schema.prototype as object, name);
  if (type === Number || typeof fallback === 'number') return 'number';
  if (type === Boolean || typeof fallback === 'boolean') return 'boolean';
  return 'other';
}

function convert(raw: string, type: Declared): unknown {
  switch (type) {
    case 'number': {
      const value = Number(raw.trim());
      return raw.trim() !== '' && Number.isFinite(value) ? value : raw;
    }
    case 'boolean': {
      const text = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(text)) return true;
      if (['false', '0', 'no', 'off'].includes(text)) return false;
      return raw;
    }
    case 'other':
      return raw;
  }
}

/** When the value has the wrong type, its range checks only add noise. */
const TYPE_CHECKS = new Set(['isInt', 'isNumber', 'isBoolean', 'isString']);

function describe(errors: ValidationError[]): string[] {
  return errors.map((error) => {
    if (error.value === undefined) return `  - ${error.property}: is required`;
    const constraints = Object.entries(error.constraints ?? {});
    const wrongType = constraints.filter(([name]) => TYPE_CHECKS.has(name));
    const reasons = (wrongType.length > 0 ? wrongType : constraints).map(([, message]) => withoutSubject(message, error.property));
    return `  - ${error.property}: ${reasons.join('; ') || 'is invalid'}`;
  });
}
