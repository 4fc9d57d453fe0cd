/**
 * Who may act on which account (DESIGN.md §4): customers on their own accounts only, tellers
 * and admins on any customer account. Settlement accounts are the bank's books and are never
 * addressable through the API. Someone else's account looks exactly like a missing one (404),
 * so account numbers cannot be probed. Pure: no Nest imports, unit-tested.
 */
import { isStaff, type AuthUser } from '../auth/auth-user';
import { DomainError } from '../infra/http/domain-error';
import { ACCOUNT_NUMBER } from './cursor';

export interface OwnedAccount {
  accountNumber: string;
  ownerId: string | null;
  kind: 'CUSTOMER' | 'SETTLEMENT';
}

/** 'missing' (or the bank's own), 'foreign' (exists, someone else's), or undefined when allowed. */
export function denialFor(user: AuthUser, account: OwnedAccount | undefined): 'missing' | 'foreign' | undefined {
  if (!account || account.kind !== 'CUSTOMER') return 'missing';
  if (account.ownerId === user.id || isStaff(user)) return undefined;
  return 'foreign';
}

/** Any existing customer account (e.g. the receiving side of a transfer); the bank's are hidden. */
export function isAddressable(account: OwnedAccount | undefined): account is OwnedAccount {
  return account !== undefined && account.kind === 'CUSTOMER';
}

/** Names the account only when it is a well-formed account number: the request is never echoed. */
export function accountNotFound(accountNumber: string): DomainError {
  return new DomainError('NOT_FOUND', 404, ACCOUNT_NUMBER.test(accountNumber) ? `Account ${accountNumber} was not found` : 'No such account');
}
