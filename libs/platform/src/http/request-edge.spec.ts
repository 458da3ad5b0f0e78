import { jsonBodyProblem } from './request-edge.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('jsonBodyProblem (the raw-byte check before JSON.parse)', () => {
  it('lets nesting up to the limit through and refuses one level more', () => {
    expect(jsonBodyProblem(bytes(nested(32)), 32)).toBeUndefined();
    expect(jsonBodyProblem(bytes(nested(33)), 32)).toMatchObject({ error: 'json_too_deep' });
    expect(jsonBodyProblem(bytes(`{"a":{"b":${nested(31)}}}`), 32)).toMatchObject({ error: 'json_too_deep' });
  });

  it('counts brackets only outside strings, and siblings do not add up', () => {
    expect(jsonBodyProblem(bytes(`{"a":"${'['.repeat(100)}"}`), 2)).toBeUndefined();
    expect(jsonBodyProblem(bytes(`{"a":"\\"[[[["}`), 2)).toBeUndefined();
    expect(jsonBodyProblem(bytes(`[${Array.from({ length: 100 }, () => '[1]').join(',')}]`), 2)).toBeUndefined();
  });

  it('decides on depth before the body is known to be valid JSON', () => {
    expect(jsonBodyProblem(bytes(`${'['.repeat(40)}1,`), 32)).toMatchObject({ error: 'json_too_deep' });
  });

  it('refuses an escaped NUL but not an escaped backslash followed by u0000, nor other escapes', () => {
    expect(jsonBodyProblem(bytes('{"a":"x\\u0000y"}'), 32)).toMatchObject({ error: 'nul_character' });
    expect(jsonBodyProblem(bytes('{"a":"x\\\\u0000y"}'), 32)).toBeUndefined();
    expect(jsonBodyProblem(bytes('{"a":"\\u0001\\n\\u00e9"}'), 32)).toBeUndefined();
  });

  it('reads multi-byte UTF-8 without mistaking its bytes for brackets or quotes', () => {
    expect(jsonBodyProblem(bytes('{"名前":"宁波 🧵 [[[","x":["ｆ"]}'), 2)).toBeUndefined();
  });
});
