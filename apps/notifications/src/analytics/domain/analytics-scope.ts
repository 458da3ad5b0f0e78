/** Whose figures a request reads: the whole network (operators), or one brand's or one workshop's. */
export type AnalyticsScope = { kind: 'network' } | { kind: 'brand'; memberId: string } | { kind: 'workshop'; memberId: string };

export class AnalyticsScopeRefused extends Error {
  constructor(
    readonly code: 'not_your_figures' | 'one_scope_at_a_time',
    message: string,
  ) {
    super(message);
  }
}

/**
 * An operator reads the network, or one brand or workshop it names; a brand or a workshop reads only its
 * own (naming itself is allowed, naming another member is refused).
 */
export function analyticsScope(caller: { sub: string; role: string }, asked: { brandId?: string; workshopId?: string }): AnalyticsScope {
  if (asked.brandId !== undefined && asked.workshopId !== undefined) {
    throw new AnalyticsScopeRefused('one_scope_at_a_time', 'name a brand or a workshop, not both');
  }
  if (caller.role === 'operator') {
    if (asked.brandId !== undefined) return { kind: 'brand', memberId: asked.brandId };
    if (asked.workshopId !== undefined) return { kind: 'workshop', memberId: asked.workshopId };
    return { kind: 'network' };
  }
  if (caller.role === 'brand' || caller.role === 'workshop') {
    const other = caller.role === 'brand' ? asked.workshopId : asked.brandId;
    const own = caller.role === 'brand' ? asked.brandId : asked.workshopId;
    if (other !== undefined || (own !== undefined && own !== caller.sub)) {
      throw new AnalyticsScopeRefused('not_your_figures', `a ${caller.role} reads its own figures only`);
    }
    return { kind: caller.role, memberId: caller.sub };
  }
  throw new AnalyticsScopeRefused('not_your_figures', `a ${caller.role} has no analytics`);
}
