/**
 * Restart strategies, as OTP's: which children a crash touches. A pure function of positions,
 * so the supervisor and its tests share one definition.
 */

/**
 * `"oneForOne"`: only the crashed child is restarted. `"oneForAll"`: every child is stopped (in
 * reverse order) and all are started again (in order). `"restForOne"`: the crashed child and the
 * children started after it are stopped and started again.
 */
export type Strategy = "oneForOne" | "oneForAll" | "restForOne";

/**
 * The positions (in start order) of the children a restart of the child at `index` touches,
 * among `count` children, in start order.
 *
 * @example
 * ```ts
 * restartGroup("restForOne", 4, 1); // [1, 2, 3]
 * restartGroup("oneForOne", 4, 1); // [1]
 * ```
 */
export function restartGroup(strategy: Strategy, count: number, index: number): number[] {
  const from = strategy === "oneForAll" ? 0 : index;
  const to = strategy === "oneForOne" ? index + 1 : count;
  const group: number[] = [];
  for (let i = from; i < to; i++) group.push(i);
  return group;
}
