/**
 * @internal Keeping V8's hidden classes of short-lived objects alive.
 *
 * V8 frees the hidden class (map) of a class once no instance of it is left at a full garbage
 * collection, and throws away every optimized function built on it. Objects that live for one
 * hop (the events between two stages, a pipeline's messages and batches) all die between two
 * bursts, so a burst after an idle spell with a full collection in between (V8's memory reducer
 * runs one when the process goes idle) would start in the interpreter, re-learning and
 * re-optimizing the whole hot path: measured, the next million pipeline messages took twice as
 * long. One instance per such class, kept here for good, keeps its hidden class and the code.
 *
 * The kept instance must have the shape the hot path's instances have: make it with the same
 * constructor and values of the same kinds (an object where the hot path stores objects,
 * `undefined` where it stores anything), and never change it afterwards.
 */

const kept: unknown[] = [];

/**
 * Keeps `instance` alive for as long as the process runs, and returns it.
 *
 * @example
 * ```ts
 * keepShape(new EventsMessage(undefined, []));
 * ```
 */
export function keepShape<T>(instance: T): T {
  kept.push(instance);
  return instance;
}
