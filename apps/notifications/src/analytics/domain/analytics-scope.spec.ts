import { analyticsScope, AnalyticsScopeRefused } from './analytics-scope.js';

describe('whose analytics a caller reads', () => {
  it('gives an operator the network, or the one brand or workshop it names', () => {
    expect(analyticsScope({ sub: 'op', role: 'operator' }, {})).toEqual({ kind: 'network' });
    expect(analyticsScope({ sub: 'op', role: 'operator' }, { brandId: 'b1' })).toEqual({ kind: 'brand', memberId: 'b1' });
    expect(analyticsScope({ sub: 'op', role: 'operator' }, { workshopId: 'w1' })).toEqual({ kind: 'workshop', memberId: 'w1' });
  });

  it('gives a brand and a workshop their own figures, named or not', () => {
    expect(analyticsScope({ sub: 'b1', role: 'brand' }, {})).toEqual({ kind: 'brand', memberId: 'b1' });
    expect(analyticsScope({ sub: 'b1', role: 'brand' }, { brandId: 'b1' })).toEqual({ kind: 'brand', memberId: 'b1' });
    expect(analyticsScope({ sub: 'w1', role: 'workshop' }, { workshopId: 'w1' })).toEqual({ kind: 'workshop', memberId: 'w1' });
  });

  it("refuses another member's figures, both scopes at once, and roles without analytics", () => {
    const refused = (caller: { sub: string; role: string }, asked: { brandId?: string; workshopId?: string }) => {
      try {
        analyticsScope(caller, asked);
        return 'allowed';
      } catch (error) {
        return error instanceof AnalyticsScopeRefused ? error.code : 'other';
      }
    };
    expect(refused({ sub: 'b1', role: 'brand' }, { brandId: 'b2' })).toBe('not_your_figures');
    expect(refused({ sub: 'b1', role: 'brand' }, { workshopId: 'w1' })).toBe('not_your_figures');
    expect(refused({ sub: 'w1', role: 'workshop' }, { workshopId: 'w2' })).toBe('not_your_figures');
    expect(refused({ sub: 'w1', role: 'workshop' }, { brandId: 'b1' })).toBe('not_your_figures');
    expect(refused({ sub: 'i1', role: 'inspector' }, {})).toBe('not_your_figures');
    expect(refused({ sub: 'op', role: 'operator' }, { brandId: 'b1', workshopId: 'w1' })).toBe('one_scope_at_a_time');
  });
});
