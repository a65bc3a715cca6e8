/** Number and duration formatting for the demo's screen output. */

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** `1234567` -> `"1,234,567"`. */
export const count = (n: number): string => integer.format(n);

/** `1, "line"` -> `"1 line"`; `2, "line"` -> `"2 lines"`. */
export const counted = (n: number, noun: string): string =>
  `${count(n)} ${noun}${n === 1 ? "" : "s"}`;

/** Milliseconds, with the precision that matters at its size: `0.42 ms`, `12.3 ms`, `412 ms`. */
export function ms(n: number): string {
  if (n < 1) return `${n.toFixed(2)} ms`;
  if (n < 100) return `${n.toFixed(1)} ms`;
  return `${Math.round(n)} ms`;
}

/** Seconds with one decimal: `12.3 s`. */
export const seconds = (milliseconds: number): string => `${(milliseconds / 1000).toFixed(1)} s`;

/** `93_000_000` bytes -> `"88.7 MB"`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A bar of `width` cells, `fraction` (0 to 1) of them full. */
export function bar(fraction: number, width: number): string {
  const full = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `${"█".repeat(full)}${"░".repeat(width - full)}`;
}
