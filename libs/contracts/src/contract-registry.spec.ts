import { IsDateString, IsInt, IsString, Min } from 'class-validator';
import { contractProblems, IntegrationEvent } from './contract-registry.js';

@IntegrationEvent('test', 'ContractRegistrySpecEvent')
export class ContractRegistrySpecEventContract {
  @IsString() name!: string;
  @IsInt() @Min(1) quantity!: number;
  @IsDateString() at!: string;
}

describe('contractProblems', () => {
  it('checks the content every time: data that changed after a check is checked again', () => {
    const data = { name: 'shirts', quantity: 5, at: '2026-12-06T00:00:00.000Z' };
    expect(contractProblems('ContractRegistrySpecEvent', data)).toEqual([]);
    expect(contractProblems('ContractRegistrySpecEvent', data)).toEqual([]);
    data.quantity = 0;
    expect(contractProblems('ContractRegistrySpecEvent', data)).toEqual(['quantity: quantity must not be less than 1']);
    data.quantity = 5;
    expect(contractProblems('ContractRegistrySpecEvent', { ...data, name: 7 })).toEqual(['name: name must be a string']);
    expect(contractProblems('ContractRegistrySpecEvent', data)).toEqual([]);
  });

  it('gives each caller its own list of problems', () => {
    const bad = { name: 'x', quantity: -1, at: 'yesterday' };
    const first = contractProblems('ContractRegistrySpecEvent', bad);
    first.push('changed by a caller');
    expect(contractProblems('ContractRegistrySpecEvent', bad)).toHaveLength(2);
  });

  it('checks the JSON an event is stored as: a Date is its ISO string, a bigint is refused', () => {
    expect(contractProblems('ContractRegistrySpecEvent', { name: 'a', quantity: 1, at: new Date('2026-12-06T00:00:00Z') })).toEqual([]);
    expect(contractProblems('ContractRegistrySpecEvent', { name: 'a', quantity: 1n, at: '2026-12-06' })).toEqual([
      expect.stringMatching(/^data: not representable as JSON/),
    ]);
  });

  it('stays right past the memo of recent checks', () => {
    for (let i = 0; i < 2_500; i++) expect(contractProblems('ContractRegistrySpecEvent', { name: `n${i}`, quantity: (i % 3) - 1, at: '2026-12-06' })).toHaveLength(i % 3 === 2 ? 0 : 1);
    expect(contractProblems('ContractRegistrySpecEvent', { name: 'n0', quantity: -1, at: '2026-12-06' })).toHaveLength(1);
  });

  it('answers nothing for a type without a contract, and refuses data that is not an object', () => {
    expect(contractProblems('NoSuchEvent', { anything: true })).toEqual([]);
    expect(contractProblems('ContractRegistrySpecEvent', null)).toEqual(['data: must be an object']);
  });
});
