// What the fuzzer sends: hostile JSON (wrong types, huge and negative numbers, unicode, prototype-pollution
// keys, missing and extra fields, deep nesting), malformed and non-JSON bodies, hostile query strings
// and path segments. Bodies are built as a small JSON tree and printed by hand, so that keys such as
// `__proto__` stay own keys and numbers JSON.stringify cannot print (1e400) can be sent.
import fc from 'fast-check';

/** A number literal printed as is: `1e400`, 30 digits, `-0`. */
export class RawNumber {
  constructor(readonly text: string) {}
}

/** An object as an ordered list of entries: duplicate and `__proto__` keys survive. */
export class JsonObject {
  constructor(readonly entries: [string, Json][]) {}
}

export type Json = null | boolean | number | string | RawNumber | JsonObject | Json[];

export function toJsonText(value: Json): string {
  if (value instanceof RawNumber) return value.text;
  if (value instanceof JsonObject) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  return JSON.stringify(value);
}

/** A plain example (parsed JSON) as a tree the mutations below can edit. */
export function fromPlain(value: unknown): Json {
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value !== null && typeof value === 'object') return new JsonObject(Object.entries(value).map(([k, v]) => [k, fromPlain(v)]));
  return value as Json;
}

const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '$where', '$ne', ''];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '', ' ', '0', '-1', 'null', 'undefined', 'NaN', 'true', '__proto__', 'constructor',
    '../../../etc/passwd', '..\\..\\windows\\win.ini', '%2e%2e%2f', "' OR '1'='1", '"; DROP TABLE events; --',
    '<script>alert(1)</script>', '${jndi:ldap://127.0.0.1/a}', '\u202eevil', '\u2066iso\u2069', 'Lumen\u200f', 'bell\u0007', 'ｆｕｌｌｗｉｄｔｈ', '𝕄𝕖𝕤𝕙𝕗𝕒𝕓', '🧵🪡🏭', 'Ningbo 宁波 纺织',
    '9999-99-99', '2030-02-30', '1970-01-01T00:00:00Z', '2100-01-01T00:00:00.000Z', 'CNY', 'usd', 'cutting', 'II', 'S-4',
    'x'.repeat(300), 'a'.repeat(5000),
  ),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.uuid(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

export const hostileNumber: fc.Arbitrary<number | RawNumber> = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, -0.000001, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER + 2, 1e21, 1e308, -1e308, Number.MIN_VALUE),
  fc.integer(),
  fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '0.0000000000000000000000000001', '-0', '1E+2').map((t) => new RawNumber(t)),
);

export const hostileKey = (known: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(fc.constantFrom(...POLLUTION_KEYS), fc.string({ maxLength: 12 }), ...(known.length > 0 ? [fc.constantFrom(...known)] : []));

const hostileScalar: fc.Arbitrary<Json> = fc.oneof(fc.constantFrom<Json>(null, true, false), hostileString, hostileNumber);

/** Any JSON value, nested a few levels, with hostile keys. */
export const hostileJson = (known: readonly string[]): fc.Arbitrary<Json> =>
  fc.letrec<{ value: Json }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      hostileScalar,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.array(fc.tuple(hostileKey(known), tie('value')), { maxLength: 5 }).map((entries) => new JsonObject(entries)),
    ),
  })).value;

export interface Mutation {
  /** Child indexes to walk down (modulo the number of children); the last picks the entry to change. */
  path: number[];
  op: 'delete' | 'replace' | 'add' | 'negate' | 'stringify' | 'wrap';
  key: string;
  value: Json;
}

export const mutation = (known: readonly string[]): fc.Arbitrary<Mutation> =>
  fc.record({
    path: fc.array(fc.nat(50), { minLength: 1, maxLength: 5 }),
    op: fc.constantFrom<Mutation['op']>('delete', 'replace', 'replace', 'add', 'negate', 'stringify', 'wrap'),
    key: hostileKey(known),
    value: hostileJson(known),
  });

const childrenOf = (node: Json): Json[] | undefined => (node instanceof JsonObject ? node.entries.map(([, v]) => v) : Array.isArray(node) ? node : undefined);

function changed(value: Json, m: Mutation): Json {
  switch (m.op) {
    case 'negate':
      return typeof value === 'number' ? -value - 1 : m.value;
    case 'stringify':
      return typeof value === 'string' ? m.value : toJsonText(value);
    case 'wrap':
      return [value];
    case 'add':
    case 'delete':
    case 'replace':
      return m.value;
  }
}

/** A copy of `doc` with one field deleted, replaced, added, negated, stringified or wrapped in an array. */
export function mutate(doc: Json, m: Mutation, depth = 0): Json {
  const children = childrenOf(doc);
  if (!children || children.length === 0) return m.op === 'add' && doc instanceof JsonObject ? new JsonObject([[m.key, m.value]]) : changed(doc, m);
  const index = m.path[Math.min(depth, m.path.length - 1)] % children.length;
  const child = children[index];
  const goDeeper = depth < m.path.length - 1 && (childrenOf(child)?.length ?? 0) > 0;
  const replaceChild = (next: Json | undefined): Json => {
    if (doc instanceof JsonObject) {
      const entries = doc.entries.flatMap(([k, v], i): [string, Json][] => (i !== index ? [[k, v]] : next === undefined ? [] : [[k, next]]));
      return new JsonObject(entries);
    }
    return (doc as Json[]).flatMap((v, i) => (i !== index ? [v] : next === undefined ? [] : [next]));
  };
  if (goDeeper) return replaceChild(mutate(child, m, depth + 1));
  if (m.op === 'add') return doc instanceof JsonObject ? new JsonObject([...doc.entries, [m.key, m.value]]) : [...(doc as Json[]), m.value];
  if (m.op === 'delete') return replaceChild(undefined);
  return replaceChild(changed(child, m));
}

/** Bodies sent with a JSON content type that are not what the endpoint wants at the byte level. */
export const malformedJsonText = (example: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.nat(Math.max(example.length - 1, 0)).map((n) => example.slice(0, n)),
    fc.constantFrom('{"a":1,}', "{'a':1}", '[1,2', '{"a":NaN}', '\uFEFF{}', ' ', '{"a":1}{"b":2}', '{"a":"\\ud800"}', '{"a":"\\x41"}', 'nul', '"just a string"', '42', 'null', '{"a":"\\u0000"}'),
    fc.string({ maxLength: 60 }),
  );

/** Nesting just past, or well past, the limit; and the same thing broken at the end (depth is decided first). */
export const deepJsonText = (maxDepth: number): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min: maxDepth + 1, max: maxDepth * 4 }), fc.boolean(), fc.boolean()).map(([depth, objects, broken]) => {
    const open = objects ? '{"a":'.repeat(depth - 1) + '[' : '['.repeat(depth);
    const close = objects ? ']' + '}'.repeat(depth - 1) : ']'.repeat(depth);
    return broken ? open + '1,' : `${open}1${close}`;
  });

/** A query string: declared names and others, hostile values, repeated keys, bracket syntax. */
export const queryString = (names: readonly string[]): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.oneof({ weight: 3, arbitrary: names.length > 0 ? fc.constantFrom(...names) : fc.constant('q') }, fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor[prototype]', 'a[b]', 'limit[]')),
        fc.oneof(hostileString, hostileNumber.map((n) => (n instanceof RawNumber ? n.text : String(n)))),
      ),
      { maxLength: 6 },
    )
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`));

/** One path segment: a real id often, else a uuid, a hostile string, traversal, or something very long. */
export const pathSegment = (realIds: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: realIds.length > 0 ? fc.constantFrom(...realIds).map(encodeURIComponent) : fc.uuid() },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: hostileString.filter((s) => s.length > 0).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom('..', '.', '%2e%2e', '..%2f..%2fadmin', '%2F', 'a/b', '%252e%252e', '%5c..%5c', ';', '*', '%20', '~') },
    { weight: 1, arbitrary: fc.oneof(fc.string({ minLength: 1000, maxLength: 4000 }).map(encodeURIComponent), fc.constant('x'.repeat(20_000))) },
  );

/** An Idempotency-Key header value (visible ASCII only: fetch refuses others), or none. */
export const idempotencyKey: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.uuid(),
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 80 }),
  fc.constant('k'.repeat(3000)),
);
