import { parseDemoArgs } from './cli-options.js';

describe('the demo command line', () => {
  it('has defaults that finish in about a minute', () => {
    expect(parseDemoArgs([])).toMatchObject({ workshops: 120, orders: 40, seed: 42, json: false, progress: true });
  });

  it('reads sizes, seed, --json, --url and --resume, with or without =', () => {
    expect(parseDemoArgs(['--workshops', '300', '--orders=80', '--seed', '7', '--json', '--url', 'http://localhost:3000/', '--resume', 'ab12cd34'])).toMatchObject({
      workshops: 300,
      orders: 80,
      seed: 7,
      json: true,
      url: 'http://localhost:3000',
      resume: 'ab12cd34',
    });
  });

  it('refuses what it cannot use, saying why', () => {
    expect(() => parseDemoArgs(['--workshops', '3'])).toThrow('--workshops must be a whole number from 9 to 5000, not 3');
    expect(() => parseDemoArgs(['--orders'])).toThrow('--orders needs a value');
    expect(() => parseDemoArgs(['--resume', '../x'])).toThrow('--resume');
    expect(() => parseDemoArgs(['--unrecovered-scrap', '2'])).toThrow('share from 0 to 1');
    expect(() => parseDemoArgs(['--fast'])).toThrow('unknown option --fast');
  });
});
