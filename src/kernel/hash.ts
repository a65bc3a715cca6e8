/**
 * @internal FNV-1a, the one string hash every layer routes keys with (registry partitions,
 * PartitionSupervisor, the partition dispatcher): deterministic across processes and runs.
 */

/** FNV-1a's offset basis. */
export const FNV_OFFSET = 0x811c9dc5;
/** FNV-1a's prime. */
export const FNV_PRIME = 0x01000193;

/** Continues the FNV-1a hash `h` over the UTF-16 code units of `s`; not yet made unsigned. */
export function fnvMix(h: number, s: string): number {
  let x = h;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), FNV_PRIME);
  return x;
}

/** FNV-1a over the UTF-16 code units of `s`, as an unsigned 32-bit integer. */
export function hashString(s: string): number {
  return fnvMix(FNV_OFFSET, s) >>> 0;
}
