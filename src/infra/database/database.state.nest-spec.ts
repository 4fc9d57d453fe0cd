import { DatabaseState, MIGRATIONS_RECHECK_MS } from './database.state';

describe('the startup probe while migrations are pending', () => {
  function watched(answers: Array<boolean | Error>) {
    const state = new DatabaseState();
    const asked: number[] = [];
    let applied = 0;
    state.watch(
      async () => {
        asked.push(asked.length);
        const next = answers.shift();
        if (next instanceof Error) throw next;
        return next ?? true;
      },
      () => applied++,
    );
    return { state, asked, applied: () => applied };
  }

  it('asks the database again at most once per interval, one query at a time, until applied', async () => {
    const { state, asked, applied } = watched([true, new Error('connection lost'), false]);
    const t0 = Date.now();
    expect(await state.pending(t0)).toBe(true); // just connected: not asked yet
    expect(asked).toHaveLength(0);

    const later = t0 + MIGRATIONS_RECHECK_MS;
    const [a, b] = await Promise.all([state.pending(later), state.pending(later)]);
    expect([a, b, asked.length]).toEqual([true, true, 1]);

    const much = Date.now() + MIGRATIONS_RECHECK_MS;
    expect(await state.pending(much)).toBe(true); // the database failed: unchanged
    expect(await state.pending(much + MIGRATIONS_RECHECK_MS)).toBe(false);
    expect(applied()).toBe(1);
    expect(asked).toHaveLength(3);

    expect(await state.pending(much + 10 * MIGRATIONS_RECHECK_MS)).toBe(false); // never asked again
    expect(asked).toHaveLength(3);
  });

  it('answers pending without asking anything before it is connected', async () => {
    const state = new DatabaseState();
    expect(await state.pending(Date.now() + 60_000)).toBe(true);
  });
});
