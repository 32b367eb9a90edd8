// Waiting for work with a time limit: the one way the SDK bounds a callback, a flush or a stop
// step, so no caller races its own timer.

/** How some work ended, or that the time ran out first. */
export type Settled =
  | { readonly outcome: 'done'; readonly value: unknown }
  | { readonly outcome: 'failed'; readonly error: unknown }
  | { readonly outcome: 'expired' };

/**
 * How `work` ended within `ms` milliseconds, or `expired`. Never rejects and leaves no timer
 * behind; `undefined` counts as done at once. The timer does not keep the process alive unless
 * `keepAlive` (a stop that must run to its deadline).
 */
export function within(
  work: PromiseLike<unknown> | undefined,
  ms: number,
  keepAlive = false,
): Promise<Settled> {
  if (work === undefined) return Promise.resolve({ outcome: 'done', value: undefined });
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'expired' }), Math.max(0, ms));
    if (!keepAlive) timer.unref();
  });
  const settled = Promise.resolve(work).then(
    (value): Settled => ({ outcome: 'done', value }),
    (error: unknown): Settled => ({ outcome: 'failed', error }),
  );
  return Promise.race([settled, expired]).finally(() => clearTimeout(timer));
}
