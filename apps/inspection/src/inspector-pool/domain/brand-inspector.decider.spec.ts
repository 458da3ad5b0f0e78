import { NotFound } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import { brandInspectorDecider, InspectorAffiliated, type NameBrandInspector } from './brand-inspector.decider.js';

const spec = DeciderSpecification.for(brandInspectorDecider);
const at = '2026-03-01T08:00:00.000Z';
const name = (inspectorId: string | null, inspectorAffiliations: string[] | undefined = []): NameBrandInspector => ({ type: 'NameBrandInspector', brandId: 'b-1', inspectorId, inspectorAffiliations, by: 'b-1', at });
const named = { type: 'BrandInspectorNamed' as const, data: { brandId: 'b-1', inspectorId: 'insp-1', by: 'b-1', namedAt: at } };

describe('brand inspector decider', () => {
  it('names an inspector once; clears it', () => {
    spec.given([]).when(name('insp-1')).then([named]);
    spec.given([named]).when(name('insp-1')).thenNothing();
    spec.given([named]).when(name(null)).then([{ type: 'BrandInspectorCleared', data: { brandId: 'b-1', inspectorId: 'insp-1', by: 'b-1', clearedAt: at } }]);
    spec.given([]).when(name(null)).thenNothing();
  });

  it('refuses an inspector tied to the brand (422) and one inspection does not know (404)', () => {
    expect(spec.given([]).when(name('insp-1', ['b-1'])).thenThrows(InspectorAffiliated)).toMatchObject({ kind: 'rejected', code: 'inspector_affiliated' });
    spec.given([]).when({ ...name('insp-x'), inspectorAffiliations: undefined }).thenThrows(NotFound);
  });
});
