#!/usr/bin/env node
import { runCli } from './program.ts'

const code = await runCli(process.argv.slice(2))
// Open handles (a server connection's keep-alive) must not keep a finished command waiting.
process.exit(code)
