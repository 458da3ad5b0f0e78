import { DomainError, NotFound, type Decider, type DomainEvent } from '#libs/domain';

/** A brand names its own inspector for its orders (or clears the nomination). */
export interface NameBrandInspector {
  type: 'NameBrandInspector';
  brandId: string;
  /** null clears the nomination. */
  inspectorId: string | null;
  /** The named inspector's declared ties as inspection knows them; undefined when inspection knows no such inspector. */
  inspectorAffiliations: readonly string[] | undefined;
  by: string;
  at: string;
}

export type BrandInspectorNamed = DomainEvent<'BrandInspectorNamed', { brandId: string; inspectorId: string; by: string; namedAt: string }>;
export type BrandInspectorCleared = DomainEvent<'BrandInspectorCleared', { brandId: string; inspectorId: string; by: string; clearedAt: string }>;
export type BrandInspectorEvent = BrandInspectorNamed | BrandInspectorCleared;

export interface BrandInspectorState {
  inspectorId: string | null;
}

export class InspectorAffiliated extends DomainError {
  constructor(inspectorId: string, memberId: string) {
    super('inspector_affiliated', `inspector ${inspectorId} declared a tie to ${memberId} and may not inspect its lots`, 'rejected', { field: 'inspectorId', inspectorId, memberId });
  }
}

export const brandInspectorStreamId = (brandId: string): string => `brand-inspector-${brandId}`;

/**
 * The nomination obeys the conflict rules: an inspector tied to the brand is refused here; one tied to a
 * lot's workshop (or not certified for its process or region) is passed over at assignment, lot by lot.
 */
export const brandInspectorDecider: Decider<BrandInspectorState, NameBrandInspector, BrandInspectorEvent> = {
  initialState: () => ({ inspectorId: null }),
  decide(command, state) {
    const { brandId, inspectorId, by, at } = command;
    if (inspectorId === null) {
      return state.inspectorId === null ? [] : [{ type: 'BrandInspectorCleared', data: { brandId, inspectorId: state.inspectorId, by, clearedAt: at } }];
    }
    if (command.inspectorAffiliations === undefined) throw new NotFound('inspector', inspectorId);
    if (command.inspectorAffiliations.includes(brandId)) throw new InspectorAffiliated(inspectorId, brandId);
    if (state.inspectorId === inspectorId) return [];
    return [{ type: 'BrandInspectorNamed', data: { brandId, inspectorId, by, namedAt: at } }];
  },
  evolve(_state, event) {
    return { inspectorId: event.type === 'BrandInspectorNamed' ? event.data.inspectorId : null };
  },
};
