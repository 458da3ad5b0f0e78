import type { MemberTokenCommand, TokenGrant } from '../../member/domain/member-tokens.js';

export interface RegisterOperator {
  type: 'RegisterOperator';
  operatorId: string;
  name: string;
  contactEmail?: string;
  /** The operator (or `bootstrap`) registering this one. */
  registeredBy: string;
  token: TokenGrant;
  at: string;
}

export type OperatorCommand = RegisterOperator | MemberTokenCommand;

export interface DisableBootstrapCredential {
  type: 'DisableBootstrapCredential';
  /** A named operator: the bootstrap credential cannot turn itself off (that would leave no operator). */
  by: string;
  at: string;
}
