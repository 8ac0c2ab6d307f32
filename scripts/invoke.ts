// npm run invoke: runs a handler through a built layer (src/invoke/cli.ts has the usage).
import { main } from '../src/invoke/cli.js'

process.exitCode = await main(process.argv.slice(2))
