import { defineConfig } from 'vitest/config'

// The end-to-end tests compile PicoLisp and start real processes: give them time,
// and run test files one at a time so two compiles never fight over 2 cores.
export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
})
