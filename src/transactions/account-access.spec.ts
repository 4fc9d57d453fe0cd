import type { AuthUser, Role } from '../auth/auth-user';
import { denialFor, isAddressable } from './account-access';

const user = (id: string, roles: Role[]): AuthUser => ({ id, email: `${id}@x.test`, roles, privilegeLevel: 'BASIC', emailVerified: true });
const alice = user('alice', ['CUSTOMER']);
const teller = user('tina', ['TELLER']);
const admin = user('adam', ['ADMIN']);
const alicesAccount = { accountNumber: 'BW000000000001', ownerId: 'alice', kind: 'CUSTOMER' as const };
const bobsAccount = { accountNumber: 'BW000000000002', ownerId: 'bob', kind: 'CUSTOMER' as const };
const settlement = { accountNumber: 'SETTLEMENT-GBP', ownerId: null, kind: 'SETTLEMENT' as const };

describe('who may act on an account', () => {
  it.each([
    ['a customer on their own account', alice, alicesAccount, undefined],
    ['a customer on someone else’s account', alice, bobsAccount, 'foreign'],
    ['a customer on a missing account', alice, undefined, 'missing'],
    ['a customer on the settlement account', alice, settlement, 'missing'],
    ['a teller on any customer account', teller, bobsAccount, undefined],
    ['an admin on any customer account', admin, alicesAccount, undefined],
    ['a teller on the settlement account', teller, settlement, 'missing'],
    ['an admin on the settlement account', admin, settlement, 'missing'],
  ] as const)('%s → %s', (_label, who, account, expected) => {
    expect(denialFor(who, account)).toBe(expected);
  });

  it('lets anyone receive into a customer account but never address the bank’s own', () => {
    expect(isAddressable(bobsAccount)).toBe(true);
    expect(isAddressable(settlement)).toBe(false);
    expect(isAddressable(undefined)).toBe(false);
  });
});
