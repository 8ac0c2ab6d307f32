// Types of layer-reporter.mjs, for the tests.
export interface Reporter {
  line(text: string): void
  phases: { start(name: string): void; end(name: string, ms: number, failed: boolean): void }
}
export function createReporter(options: {
  verbose?: boolean
  say: (line: string) => void
}): Reporter
export function installReporter(options?: {
  verbose?: boolean
  print?: (line: string) => void
}): void
export function outputsTable(outputs: Record<string, string>): string
export function seconds(ms: number): string
