import { defineConfig } from 'vitest/config'

// The end-to-end tests compile PicoLisp and start real processes: give them time,
// and run test files one at a time so two compiles never fight over 2 cores.
export default defineConfig({
  // Vite's own warnings (the inlined package's source maps point at files it does not ship)
  logLevel: 'error',
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    // It imports its schema JSON without `with { type: 'json' }`, which Node's own
    // loader refuses: Vite transforms it instead.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
})
