/**
 * JSON Schema (the AsyncAPI 3.0 Schema Object subset) of a class-validator DTO, read from the same
 * decorators that validate the integration events on the way in and out — so the document cannot
 * describe a shape the services would refuse. Nested DTOs (`@ValidateNested()` + `@Type(() => X)`)
 * become `$ref`s into `components.schemas`.
 */
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage } from 'class-validator';

export type JsonSchema = Record<string, unknown>;
type DtoClass = new () => object;

interface Constraint {
  type: string;
  name?: string;
  constraints?: unknown[];
  each?: boolean;
}

/** Schemas of the DTO classes met so far, by their name in components.schemas. */
export class SchemaRegistry {
  readonly schemas = new Map<string, JsonSchema>();
  private readonly names = new Map<DtoClass, string>();

  /** A `$ref` to `dto`'s schema, adding it (and what it nests) on first use. */
  refTo(dto: DtoClass): JsonSchema {
    return { $ref: `#/components/schemas/${this.nameOf(dto)}` };
  }

  nameOf(dto: DtoClass): string {
    const known = this.names.get(dto);
    if (known) return known;
    let name = dto.name || 'Anonymous';
    for (let i = 2; this.schemas.has(name); i++) name = `${dto.name}${i}`;
    this.names.set(dto, name);
    this.schemas.set(name, {}); // reserved first: a class nesting itself refers to it
    this.schemas.set(name, schemaOf(dto, this));
    return name;
  }
}

/** The class `@Type(() => X)` gives a nested property, found the way the services find it: by transforming. */
function nestedClass(dto: DtoClass, property: string, isArray: boolean): DtoClass | undefined {
  const probe = plainToInstance(dto, { [property]: isArray ? [{}] : {} }) as Record<string, unknown>;
  const value = isArray ? (probe[property] as unknown[] | undefined)?.[0] : probe[property];
  const ctor = value !== null && typeof value === 'object' ? (value.constructor as DtoClass) : undefined;
  return ctor && ctor !== Object ? ctor : undefined;
}

/** What one class-validator constraint says, as JSON Schema keywords; unknown ones are listed, never dropped. */
function keywords(c: Constraint): JsonSchema {
  const [first, second] = c.constraints ?? [];
  switch (c.name ?? '') {
    case 'isString':
      return { type: 'string' };
    case 'isInt':
      return { type: 'integer' };
    case 'isNumber':
      return { type: 'number' };
    case 'isBoolean':
      return { type: 'boolean' };
    case 'isObject':
      return { type: 'object' };
    case 'isArray':
      return { type: 'array' };
    case 'isDateString':
    case 'isISO8601':
      return { type: 'string', format: 'date-time' };
    case 'isUUID':
      return { type: 'string', format: 'uuid' };
    case 'isEmail':
      return { type: 'string', format: 'email' };
    case 'isIn':
      return { enum: [...(first as unknown[])] };
    case 'matches':
      return { type: 'string', pattern: first instanceof RegExp ? first.source : String(first) };
    case 'length':
    case 'isLength':
      return { type: 'string', minLength: first, ...(second === undefined ? {} : { maxLength: second }) };
    case 'minLength':
      return { minLength: first };
    case 'maxLength':
      return { maxLength: first };
    case 'min':
      return { minimum: first };
    case 'max':
      return { maximum: first };
    case 'isPositive':
      return { exclusiveMinimum: 0 };
    case 'arrayMinSize':
      return { minItems: first };
    case 'arrayMaxSize':
      return { maxItems: first };
    case 'isDefined':
    case 'isNotEmptyObject':
      return {};
    default:
      return { 'x-constraints': [c.name ?? c.type] };
  }
}

function merge(into: JsonSchema, extra: JsonSchema): JsonSchema {
  const out = { ...into };
  for (const [key, value] of Object.entries(extra)) {
    if (key === 'x-constraints') out[key] = [...((out[key] as unknown[]) ?? []), ...(value as unknown[])];
    else if (!(key in out)) out[key] = value;
  }
  return out;
}

/** A designed type (emitDecoratorMetadata) when no decorator names one. */
function designedType(dto: DtoClass, property: string): JsonSchema {
  const t = Reflect.getMetadata('design:type', dto.prototype as object, property) as unknown;
  if (t === String) return { type: 'string' };
  if (t === Number) return { type: 'number' };
  if (t === Boolean) return { type: 'boolean' };
  if (t === Array) return { type: 'array' };
  return {};
}

export function schemaOf(dto: DtoClass, registry: SchemaRegistry): JsonSchema {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false) as unknown as (Constraint & { propertyName: string })[];
  const byProperty = new Map<string, Constraint[]>();
  for (const m of metadata) byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [property, constraints] of byProperty) {
    const optional = constraints.some((c) => c.type === 'conditionalValidation' && c.name === 'isOptional');
    const nested = constraints.some((c) => c.type === 'nestedValidation');
    const isArray = constraints.some((c) => c.name === 'isArray') || Reflect.getMetadata('design:type', dto.prototype as object, property) === Array;
    let own: JsonSchema = {};
    let items: JsonSchema = {};
    for (const c of constraints) {
      if (c.type !== 'customValidation') continue;
      if (isArray && c.each) items = merge(items, keywords(c));
      else own = merge(own, keywords(c));
    }
    const nestedType = nested ? nestedClass(dto, property, isArray) : undefined;
    if (nestedType) {
      if (isArray) items = registry.refTo(nestedType);
      else own = { ...registry.refTo(nestedType), ...Object.fromEntries(Object.entries(own).filter(([k]) => k !== 'type')) };
    }
    let schema: JsonSchema = isArray ? { ...own, type: 'array', items } : Object.keys(own).length > 0 ? own : designedType(dto, property);
    if (schema.$ref && Object.keys(schema).length > 1) {
      const { $ref, ...rest } = schema;
      schema = { allOf: [{ $ref }], ...rest };
    }
    properties[property] = schema;
    if (!optional) required.push(property);
  }
  return { type: 'object', ...(required.length > 0 ? { required } : {}), properties };
}
