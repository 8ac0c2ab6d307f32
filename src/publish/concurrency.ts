/** Regions worked on at once: enough to overlap uploads, few enough to stay under API rate limits. */
export const REGION_CONCURRENCY = 4

/** Maps `items` through `work` with at most `limit` running at once, keeping input order. */
export async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
