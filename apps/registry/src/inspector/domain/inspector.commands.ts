import type { MemberTokenCommand, TokenGrant } from '../../member/domain/member-tokens.js';

export interface RegisterInspector {
  type: 'RegisterInspector';
  inspectorId: string;
  name: string;
  /** Free text (e.g. `ISO 2859-1`, `ASQ CQI`), each once. */
  certifications: string[];
  token: TokenGrant;
  at: string;
}

export type InspectorCommand = RegisterInspector | MemberTokenCommand;
