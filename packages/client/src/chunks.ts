/** Splits `xs` into runs of at most `size`, one request's worth each. */
export function* chunks<T>(xs: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < xs.length; i += size) yield xs.slice(i, i + size)
}
