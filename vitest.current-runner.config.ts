import { defineConfig } from 'vitest/config'

// The test of the action on a stand-in for today's ubuntu-latest (a Debian trixie root,
// entered with chroot): only scripts/test-current-runner.sh runs it, with the root ready.
export default defineConfig({
  test: {
    include: ['__tests__/action/current-runner.chroot.ts'],
    testTimeout: 900_000,
    hookTimeout: 300_000,
  },
})
