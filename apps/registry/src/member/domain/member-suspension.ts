import { DomainError, NotFound, ValidationFailed, type DomainEvent } from '#libs/domain';

/**
 * Suspension of a brand or an inspector (a workshop's has its own events, WorkshopSuspended & co., which matching
 * and settlement have heard since before): an operator suspends with a reason, the member may appeal while
 * suspended, an operator reinstates. While suspended the member's tokens only read and appeal (every service's
 * AuthGuard), and it gets no new token (its decider refuses the rotation with {@link refuseWhileSuspended}).
 */
export type SuspendableRole = 'brand' | 'inspector';

export interface SuspendMember {
  type: 'SuspendMember';
  memberId: string;
  reason: string;
  /** The operator. */
  by: string;
  at: string;
}

export interface ReinstateMember {
  type: 'ReinstateMember';
  memberId: string;
  reason: string;
  by: string;
  at: string;
}

/** The suspended member asks to be reinstated: the one write its tokens may make. */
export interface AppealMemberSuspension {
  type: 'AppealMemberSuspension';
  memberId: string;
  reason: string;
  at: string;
}

export type MemberSuspensionCommand = SuspendMember | ReinstateMember | AppealMemberSuspension;

export type MemberSuspended = DomainEvent<'MemberSuspended', { memberId: string; role: SuspendableRole; reason: string; suspendedAt: string; suspendedBy: string }>;
export type MemberReinstated = DomainEvent<'MemberReinstated', { memberId: string; role: SuspendableRole; reason: string; reinstatedAt: string; reinstatedBy: string }>;
export type MemberSuspensionAppealed = DomainEvent<'MemberSuspensionAppealed', { memberId: string; role: SuspendableRole; reason: string; appealedAt: string }>;
export type MemberSuspensionEvent = MemberSuspended | MemberReinstated | MemberSuspensionAppealed;

/** `member` is undefined while it is not registered (a 404 like any unknown id). */
export function decideSuspension(
  command: MemberSuspensionCommand,
  member: { suspended: boolean } | undefined,
  role: SuspendableRole,
): MemberSuspensionEvent[] {
  if (!member) throw new NotFound(role, command.memberId);
  const reason = command.reason.trim();
  if (reason.length === 0) throw new ValidationFailed('reason', 'must not be blank');
  const { memberId } = command;
  switch (command.type) {
    case 'SuspendMember':
      if (member.suspended) throw new DomainError('member_already_suspended', `${role} ${memberId} is already suspended`, 'conflict');
      return [{ type: 'MemberSuspended', data: { memberId, role, reason, suspendedAt: command.at, suspendedBy: command.by } }];
    case 'ReinstateMember':
      if (!member.suspended) throw new DomainError('member_not_suspended', `${role} ${memberId} is not suspended`, 'conflict');
      return [{ type: 'MemberReinstated', data: { memberId, role, reason, reinstatedAt: command.at, reinstatedBy: command.by } }];
    case 'AppealMemberSuspension':
      if (!member.suspended) throw new DomainError('member_not_suspended', `${role} ${memberId} is not suspended`, 'conflict');
      return [{ type: 'MemberSuspensionAppealed', data: { memberId, role, reason, appealedAt: command.at } }];
  }
}

/** What a suspension changes in a member's state: `suspended`, and nothing else (an appeal changes nothing). */
export function evolveSuspended(suspended: boolean, event: MemberSuspensionEvent): boolean {
  switch (event.type) {
    case 'MemberSuspended':
      return true;
    case 'MemberReinstated':
      return false;
    case 'MemberSuspensionAppealed':
      return suspended;
  }
}

/** A suspended member gets no new token, from anyone: the suspension would not freeze otherwise. */
export function refuseWhileSuspended(suspended: boolean, role: SuspendableRole, memberId: string): void {
  if (suspended) throw new DomainError('member_suspended', `${role} ${memberId} is suspended: no new token until it is reinstated`, 'forbidden');
}

