import { configDefaults, defineConfig, mergeConfig } from 'vitest/config'
import base from './vitest.config.js'

// `npm run test:unit`: every test file but the slow end-to-end ones, which run
// dist/index.js and compile PicoLisp (cache-integrity, cancel and local-action
// too), wait through real timeouts (invoke, publish-misbehaving), or run arm64
// PicoLisp under qemu from the releases scripts/picolisp-releases.sh fetches,
// compile in Docker containers (the Docker builder's tests), or cross-build
// arm64 PicoLisp against a sysroot from Debian's archive.
// Nothing here compiles, so the files run in parallel, on both cores (vitest's
// default keeps one free). `npm test` runs everything.
export const endToEnd = [
  '__tests__/action/build.test.ts',
  '__tests__/action/errors.test.ts',
  '__tests__/action/release.test.ts',
  '__tests__/build/cache-integrity.test.ts',
  '__tests__/common/cancel.test.ts',
  '__tests__/action/cli.test.ts',
  '__tests__/invoke/invoke.test.ts',
  '__tests__/action/local-action.test.ts',
  '__tests__/publish/misbehaving.test.ts',
  '__tests__/publish/action.test.ts',
  '__tests__/runtime/arm64.test.ts',
  '__tests__/build/docker-builder.test.ts',
  '__tests__/build/docker-action.test.ts',
  '__tests__/build/cross-build.test.ts',
  '__tests__/build/cross-action.test.ts',
  '__tests__/build/cross-parts.test.ts',
  '__tests__/build/cross-reverse.test.ts',
]

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...configDefaults.exclude, ...endToEnd],
      fileParallelism: true,
      maxWorkers: 2,
    },
  }),
)
