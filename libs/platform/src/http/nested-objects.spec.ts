import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsArray, IsDefined, IsInt, IsOptional, ValidateNested, validateSync } from 'class-validator';
import { nestedShapeErrors } from './nested-objects.js';

class Money {
  @IsInt() amountMinor!: number;
}

class Line {
  @IsDefined() @ValidateNested() @Type(() => Money) price!: Money;
}

class Order {
  @IsArray() @ValidateNested({ each: true }) @Type(() => Line) lines!: Line[];
  @IsOptional() @ValidateNested() @Type(() => Money) budget?: Money;
}

const check = (plain: unknown) => {
  const order = plainToInstance(Order, plain);
  return { validator: validateSync(order), shape: nestedShapeErrors(order) };
};

describe('nestedShapeErrors', () => {
  it('finds an array where a nested object belongs, which class-validator lets through', () => {
    const { validator, shape } = check({ lines: [{ price: [{ amountMinor: 1 }] }] });
    expect(validator).toEqual([]);
    expect(shape).toMatchObject([{ property: 'lines', children: [{ property: '0', children: [{ property: 'price', constraints: { nestedObject: 'price must be an object' } }] }] }]);
  });

  it('finds arrays inside an array of nested objects', () => {
    const { validator, shape } = check({ lines: [[{ price: { amountMinor: 1 } }]] });
    expect(validator).toEqual([]);
    expect(shape).toMatchObject([{ property: 'lines', constraints: { nestedObject: 'each value in lines must be an object' } }]);
  });

  it('accepts well-shaped bodies and leaves absent optional objects to the other decorators', () => {
    expect(check({ lines: [{ price: { amountMinor: 1 } }], budget: { amountMinor: 5 } }).shape).toEqual([]);
    expect(check({ lines: [] }).shape).toEqual([]);
  });
});
