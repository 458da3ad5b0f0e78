import { StreamVersions } from './stream-order.js';

describe('StreamVersions', () => {
  it('takes the first version of a stream it has not seen, then expects the next one', () => {
    const versions = new StreamVersions();
    expect(versions.problem('s', 7, true)).toBeNull();
    versions.seen('s', 7);
    expect(versions.expected('s')).toBe(8);
    expect(versions.problem('s', 8, true)).toBeNull();
  });

  it('reports a gap where every event of a stream is delivered, and only there', () => {
    const versions = new StreamVersions();
    versions.seen('s', 1);
    expect(versions.problem('s', 3, true)).toBe('version gap in stream s: version 3 arrived after 1');
    expect(versions.problem('s', 3, false)).toBeNull(); // Kafka carries only integration events: versions may skip
  });

  it('takes a redelivery of an older version as no gap, and reports applying an older version as a step back', () => {
    const versions = new StreamVersions();
    versions.seen('s', 5);
    expect(versions.problem('s', 2, true)).toBeNull();
    expect(versions.stepBack('s', 2)).toBe('stream s out of order: version 2 arrived after 5 was applied');
    expect(versions.stepBack('s', 6)).toBeNull();
    versions.seen('s', 2);
    expect(versions.expected('s')).toBe(6);
  });

  it('forgets the least recently seen stream beyond its capacity', () => {
    const versions = new StreamVersions(2);
    versions.seen('a', 1);
    versions.seen('b', 1);
    versions.seen('a', 2);
    versions.seen('c', 1);
    expect(versions.expected('b')).toBeUndefined();
    expect(versions.expected('a')).toBe(3);
    expect(versions.expected('c')).toBe(2);
  });

  it('finds the first event of a batch with a gap, as if the ones before it had been seen, without marking any seen', () => {
    const versions = new StreamVersions();
    versions.seen('a', 4);
    const batch = [
      { streamId: 'a', version: 5 },
      { streamId: 'b', version: 1 },
      { streamId: 'a', version: 6 },
      { streamId: 'a', version: 5 }, // a redelivery inside the batch: no gap
      { streamId: 'b', version: 3 },
      { streamId: 'a', version: 7 },
    ];
    expect(versions.firstProblem(batch, true)).toEqual({ index: 4, problem: 'version gap in stream b: version 3 arrived after 1' });
    expect(versions.firstProblem(batch, false)).toBeUndefined();
    expect(versions.firstProblem([{ streamId: 'a', version: 6 }], true)).toEqual({ index: 0, problem: 'version gap in stream a: version 6 arrived after 4' });
    expect(versions.expected('a')).toBe(5);
    expect(versions.expected('b')).toBeUndefined();
  });
});
