import { getMetadataStorage, ValidationError, ValidationTypes } from 'class-validator';

/**
 * class-validator's `@ValidateNested()` validates the objects inside an array as if the array were the
 * object, so `{ "price": [{ "amountMinor": 1, … }] }` passes a `price: MoneyDto` and a handler reading
 * `price.amountMinor` fails with a 500; `@ValidateNested({ each: true })` likewise lets `[[{…}]]`
 * through. This finds every nested-DTO property that holds anything but an object (or, with `each`,
 * an array of objects), at any depth, as validation errors the pipe reports like any other.
 */
export function nestedShapeErrors(instance: object): ValidationError[] {
  const nested = getMetadataStorage()
    .getTargetValidationMetadatas(instance.constructor, '', true, false)
    .filter((m) => m.type === ValidationTypes.NESTED_VALIDATION);
  const errors: ValidationError[] = [];
  for (const { propertyName, each } of new Map(nested.map((m) => [m.propertyName, m])).values()) {
    const value = (instance as Record<string, unknown>)[propertyName];
    if (value === undefined || value === null) continue; // @IsDefined / @IsOptional decide about those
    const items: unknown[] = each && Array.isArray(value) ? value : [value];
    const isObject = (item: unknown): item is object => typeof item === 'object' && item !== null && !Array.isArray(item);
    const error = Object.assign(new ValidationError(), { property: propertyName, value, children: [] as ValidationError[] });
    if (!items.every(isObject)) {
      error.constraints = { nestedObject: each ? `each value in ${propertyName} must be an object` : `${propertyName} must be an object` };
    } else {
      error.children = items.flatMap((item, index) => {
        const inner = nestedShapeErrors(item);
        if (!each || !Array.isArray(value)) return inner;
        return inner.length > 0 ? [Object.assign(new ValidationError(), { property: String(index), value: item, children: inner })] : [];
      });
    }
    if (error.constraints || error.children?.length) errors.push(error);
  }
  return errors;
}
