// The memo of class-validator's metadata lookups (issue 20) must not change a single answer: the same
// errors for nested, inherited and grouped rules as without it, and a rule registered after a class was
// first validated still counts.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Min, ValidateNested, validateSync, type ValidationError } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { memoizeValidationMetadata } from './validation-metadata-memo.js';

class Part {
  @IsString() sku!: string;
  @IsInt() @Min(1) quantity!: number;
}
class Base {
  @IsString() name!: string;
  @IsInt({ groups: ['strict'] }) strictOnly?: number;
}
class Child extends Base {
  @ValidateNested({ each: true }) @Type(() => Part) parts!: Part[];
  @IsOptional() @IsString() note?: string;
}
class Late {
  x?: unknown;
}

const flat = (errors: ValidationError[], prefix = ''): string[] =>
  errors.flatMap((e) => [...Object.keys(e.constraints ?? {}).map((c) => `${prefix}${e.property}:${c}`), ...flat(e.children ?? [], `${prefix}${e.property}.`)]);

const inputs = [
  { name: 'ok', parts: [{ sku: 'a', quantity: 1 }] },
  { name: 3, parts: [{ sku: 'a', quantity: 0 }, { sku: 4, quantity: 'x' }], note: 5, strictOnly: 'no' },
  { parts: 'nope' },
  { name: 'x', parts: [], extra: true },
];
const run = () =>
  inputs.flatMap((input) =>
    [undefined, ['strict']].flatMap((groups) =>
      [false, true].map((whitelist) => flat(validateSync(plainToInstance(Child, input), { groups, whitelist, forbidNonWhitelisted: whitelist, forbidUnknownValues: false })).sort()),
    ),
  );

describe('memoizeValidationMetadata', () => {
  it('gives the same errors as class-validator alone, for nested, inherited and grouped rules', () => {
    const without = run();
    expect(without.flat().length).toBeGreaterThan(10);
    memoizeValidationMetadata();
    memoizeValidationMetadata(); // idempotent
    expect(run()).toEqual(without);
    expect(run()).toEqual(without);
  });

  it('forgets its answers when a rule is registered later', () => {
    memoizeValidationMetadata();
    expect(validateSync(plainToInstance(Late, { x: 'a' }), { forbidUnknownValues: false })).toEqual([]);
    IsInt()(Late.prototype, 'x');
    expect(flat(validateSync(plainToInstance(Late, { x: 'a' }), { forbidUnknownValues: false }))).toEqual(['x:isInt']);
  });
});
