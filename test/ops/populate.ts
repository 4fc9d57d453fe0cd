/**
 * Puts real data in a database through the public API (users, accounts, money movements) so
 * operational tests (backup/restore, rollouts) work on something that looks like production.
 */
import { api } from '../harness';

export async function populateLedger(baseUrl: string, staffToken: string): Promise<void> {
  const accounts: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await api(baseUrl, 'POST', '/api/v1/accounts', { token: staffToken, body: {} });
    if (res.status !== 201) throw new Error(`account creation failed: ${res.status} ${JSON.stringify(res.body)}`);
    accounts.push(res.body.accountNumber);
  }
  for (const accountNumber of accounts) {
    const res = await api(baseUrl, 'POST', '/api/v1/deposits', { token: staffToken, body: { accountNumber, amount: '100.00', description: 'seed' } });
    if (res.status !== 201) throw new Error(`deposit failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const t = await api(baseUrl, 'POST', '/api/v1/transfers', {
    token: staffToken,
    body: { fromAccountNumber: accounts[0], toAccountNumber: accounts[1], amount: '12.34', description: 'seed transfer' },
  });
  if (t.status !== 201) throw new Error(`transfer failed: ${t.status} ${JSON.stringify(t.body)}`);
}
