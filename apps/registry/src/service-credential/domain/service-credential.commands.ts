import type { MemberTokenCommand, TokenGrant } from '../../member/domain/member-tokens.js';

export interface RegisterServiceCredential {
  type: 'RegisterServiceCredential';
  serviceCredentialId: string;
  /** What uses it, e.g. `settlement host, eu-1`. */
  name: string;
  /** The operator registering it. */
  registeredBy: string;
  token: TokenGrant;
  at: string;
}

export type ServiceCredentialCommand = RegisterServiceCredential | MemberTokenCommand;
