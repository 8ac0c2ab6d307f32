// Invokes a handler once through an unpacked layer, as Lambda would: starts the
// layer's bootstrap against the Runtime API emulator on 127.0.0.1 and prints the
// response body. Exits 1 when the handler answers with an error (printed too).
// Usage: npx tsx scripts/invoke-layer.ts <unpacked layer> <task root> <_HANDLER> '<event JSON>'
import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { RuntimeApiEmulator } from '../src/runtime-api-emulator.js'

const [layer, taskRoot, handler, event] = process.argv.slice(2)
if (event === undefined) {
  console.error("usage: invoke-layer.ts <unpacked layer> <task root> <_HANDLER> '<event JSON>'")
  process.exit(2)
}

const emulator = await new RuntimeApiEmulator().start()
const child = spawn(join(resolve(layer), 'bootstrap'), [], {
  cwd: taskRoot,
  env: {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LAMBDA_TASK_ROOT: resolve(taskRoot),
    _HANDLER: handler,
    AWS_LAMBDA_RUNTIME_API: emulator.address,
  },
  stdio: ['ignore', 'inherit', 'pipe'],
})
child.stderr?.pipe(process.stderr)
emulator.attach(child)
try {
  const outcome = await emulator.invoke(JSON.parse(event))
  console.log(outcome.body.toString('utf8'))
  process.exitCode = outcome.kind === 'response' ? 0 : 1
} finally {
  child.kill('SIGKILL')
  await emulator.stop()
}
