import type { MemberSuspensionCommand } from '../../member/domain/member-suspension.js';
import type { MemberTokenCommand, TokenGrant } from '../../member/domain/member-tokens.js';
import type { InspectorQualifications } from './inspector.events.js';

export interface RegisterInspector extends Partial<InspectorQualifications> {
  type: 'RegisterInspector';
  inspectorId: string;
  name: string;
  /** Free text (e.g. `ISO 2859-1`, `ASQ CQI`), each once. */
  certifications: string[];
  token: TokenGrant;
  at: string;
}

/** The inspector (or an operator) declares what it inspects, where, and whom it is tied to; replaces the previous declaration. */
export interface UpdateInspectorProfile extends InspectorQualifications {
  type: 'UpdateInspectorProfile';
  inspectorId: string;
  certifications: string[];
  by: string;
  at: string;
}

export type InspectorCommand = RegisterInspector | UpdateInspectorProfile | MemberTokenCommand | MemberSuspensionCommand;
