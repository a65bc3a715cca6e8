/**
 * A step of a stage's work: synchronous while its callbacks are (no Promise per batch), a
 * promise from the first callback that returns one, which holds the mailbox until it settles.
 */

/**
 * @internal `true`: the stage goes on; `false`: it has exited (stop what you were doing); a
 * promise: an async callback is running, and settles to one of these.
 */
export type Step = boolean | Promise<boolean>;

/** @internal What an actor's `init`/`handle` returns for `step`: nothing when it was synchronous. */
export function settled(step: Step): void | Promise<void> {
  return step === true || step === false ? undefined : step.then(noop);
}

/** @internal Runs `next` after `step` when the stage is still alive. */
export function then(step: Step, next: () => Step): Step {
  if (step === true) return next();
  if (step === false) return false;
  return step.then((alive) => (alive ? next() : false));
}

/** @internal Runs `fn` over `items` in order, synchronously while each step is. */
export function eachStep<T>(items: readonly T[], fn: (item: T) => Step, from = 0): Step {
  for (let i = from; i < items.length; i++) {
    const step = fn(items[i] as T);
    if (step === false) return false;
    if (step !== true) return step.then((alive) => (alive ? eachStep(items, fn, i + 1) : false));
  }
  return true;
}

function noop(): void {}
