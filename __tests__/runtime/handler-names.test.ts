import { execFile } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../support/json-pil.js'
import { buildRuntimeLayer } from '../support/runtime-layer.js'
import { startRuntime } from '../support/runtime-process.js'

// A handler may have any name: for every built-in the runtime's own files
// call (derived from runtime/*.l here, so a new use is covered at once), a
// handler of that name must not change what the runtime does.

const run = promisify(execFile)

/** The built-ins runtime/*.l call, as the layer's own interpreter defines them. */
async function runtimeBuiltins(layer: string): Promise<string[]> {
  const pico = join(layer, 'picoLisp')
  const { stdout } = await run(
    join(pico, 'bin', 'picolisp'),
    [
      join(pico, 'lib.l'),
      join(repoRoot, '__tests__', 'support', 'runtime-builtins.l'),
      join(repoRoot, 'runtime'),
    ],
    { env: { ...process.env, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:1' } },
  )
  return stdout.split('\n').filter((name) => name !== '')
}

/** The names runtime/main.l binds privately before user code loads. */
async function privateBindings(): Promise<string[]> {
  const main = await readFile(join(repoRoot, 'runtime', 'main.l'), 'utf8')
  const list = /\(symbols 'lambda-runtime 'pico\)\n\(for S\n {3}'\(([^)]*)\)/.exec(main)?.[1]
  if (!list) throw new Error('runtime/main.l: the list of private bindings was not found')
  return list.split(/\s+/).filter((name) => name !== '')
}

/** The "Reserved names" table of runtime/README.md: name -> why. */
async function reservedNames(): Promise<Map<string, string>> {
  const readme = await readFile(join(repoRoot, 'runtime', 'README.md'), 'utf8')
  const section = /\n## Reserved names\n([\s\S]*?)(\n## |$)/.exec(readme)?.[1] ?? ''
  const rows = [...section.matchAll(/^\| `([^`]+)` \| (.+) \|$/gm)]
  return new Map(rows.map((row) => [row[1] as string, (row[2] as string).trim()]))
}

/** An event of about `size` bytes that the handler's echo must give back. */
function event(size: number): string {
  const text = JSON.stringify({ op: 'echo', list: [1, true, null], pad: '' })
  return text.replace('"pad":""', `"pad":"${'x'.repeat(size - text.length)}"`)
}

// 1.5 KB is sent with a Content-Length, 100 KB chunked (Lambda's framing)
const EVENTS = [100, 1536, 100 * 1024].map(event)

let layer = ''
let builtins: string[] = []
let reserved = new Map<string, string>()

beforeAll(async () => {
  layer = await buildRuntimeLayer()
  builtins = await runtimeBuiltins(layer)
  reserved = await reservedNames()
})
afterAll(async () => {
  await rm(layer, { recursive: true, force: true })
})

describe('the names the runtime reserves', () => {
  it('binds every built-in it calls privately, or lists it as reserved', async () => {
    expect(builtins.length).toBeGreaterThan(50)
    const bound = new Set(await privateBindings())
    const unprotected = builtins.filter((name) => !bound.has(name) && !reserved.has(name))
    expect(unprotected, 'add these to the private bindings in runtime/main.l').toEqual([])
  })

  it('reserves only names it calls, each with its reason', () => {
    expect(reserved.size).toBeGreaterThan(0)
    for (const [name, why] of reserved) {
      expect(builtins, `runtime/README.md reserves ${name}`).toContain(name)
      expect(why.length, `the reason ${name} is reserved`).toBeGreaterThan(20)
    }
  })
})

describe('a handler named after a built-in the runtime calls', () => {
  // Filled in beforeAll, so the names are known only when the test runs
  it('serves events of 100 B, 1.5 KB and 100 KB, several in a row', async () => {
    const names = builtins.filter((name) => !reserved.has(name))
    const failures: string[] = []
    const tryName = async (name: string) => {
      const handler = `(de ${name} (Event Headers)\n   (lambda-log 'info "handled")\n   Event )\n`
      const rt = await startRuntime(layer, { 'h.l': handler }, `h.${name}`)
      try {
        for (const body of [...EVENTS, ...EVENTS]) {
          const o = await rt.emulator.invoke(body)
          if (
            o.kind !== 'response' ||
            o.body.toString('utf8') !== JSON.stringify(JSON.parse(body))
          ) {
            failures.push(`${name}: ${o.kind} ${o.body.toString('utf8').slice(0, 200)}`)
            return
          }
        }
        // The log travels through a pipe of its own: wait for the last record
        const logged = () => rt.stdout().match(/\tINFO\thandled/g)?.length ?? 0
        for (let wait = 0; logged() < 6 && wait < 100; wait++) await sleep(20)
        if (logged() !== 6) failures.push(`${name}: ${logged()} log records instead of 6`)
      } catch (e) {
        failures.push(`${name}: ${(e as Error).message.slice(0, 300)}`)
      } finally {
        await rt.stop()
        await rm(rt.taskRoot, { recursive: true, force: true })
      }
    }
    // A few at a time: each is a process of its own
    for (let i = 0; i < names.length; i += 4) {
      await Promise.all(names.slice(i, i + 4).map(tryName))
    }
    expect(failures).toEqual([])
  }, 300_000)
})
