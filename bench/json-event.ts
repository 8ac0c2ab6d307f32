// Deterministic Lambda-like JSON events for bench/json.ts.

/** A small seeded generator (mulberry32), so every run benchmarks the same bytes. */
export function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const words = [
  'order',
  'Crème brûlée',
  'naïve café',
  'Grüße',
  '東京',
  'emoji 🍮',
  'line\nbreak',
  'tab\tseparated',
  'a "quoted" word',
  'back\\slash',
  'plain text',
  'path/to/object',
]

/** One SQS-style record: metadata, an embedded JSON body string, and a nested order. */
function record(next: () => number, i: number) {
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]
  const id = () =>
    Math.floor(next() * 0xffffffff)
      .toString(16)
      .padStart(8, '0')
  const order = {
    id: 100000 + i,
    total: Math.round(next() * 1_000_000) / 100,
    currency: 'EUR',
    paid: next() > 0.5,
    coupon: next() > 0.8 ? 'SPRING-10' : null,
    customer: { name: `${pick(words)} ${i}`, email: `user${i}@example.com`, vip: next() > 0.9 },
    items: Array.from({ length: 1 + Math.floor(next() * 4) }, (_, k) => ({
      sku: `SKU-${id()}`,
      qty: 1 + Math.floor(next() * 9),
      price: Math.round(next() * 10_000) / 100,
      weight: Number((next() * 10).toExponential(3)),
      name: `${pick(words)} #${k}`,
      tags: [pick(words), pick(words)],
    })),
  }
  return {
    messageId: `${id()}-${id()}-${id()}`,
    receiptHandle: Array.from({ length: 12 }, id).join(''),
    body: JSON.stringify(order),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(1_700_000_000_000 + i * 137),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
    },
    messageAttributes: {},
    md5OfBody: `${id()}${id()}${id()}${id()}`,
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:orders',
    awsRegion: 'eu-west-1',
    order,
  }
}

/** A compact JSON event (as Lambda delivers them) of at least `bytes` bytes. */
export function makeEvent(bytes: number): string {
  const next = random(42)
  const records: unknown[] = []
  let size = 0
  while (size < bytes) {
    const r = record(next, records.length)
    records.push(r)
    size += Buffer.byteLength(JSON.stringify(r)) + 1
  }
  return JSON.stringify({ Records: records })
}
