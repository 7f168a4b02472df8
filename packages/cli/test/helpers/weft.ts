import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))

export interface WeftRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `weft <args>` as a child process (plain `node` with the TypeScript loader), with `env`
 * added to a clean environment (no WEFT_* variables leak in from the test's).
 */
export function weft(args: readonly string[], env: Record<string, string> = {}, input?: string): Promise<WeftRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WEFT_')))
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...base, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(input ?? '')
  })
}

/**
 * Runs `weft <args>` under a pseudo-terminal (`script`); each time the terminal shows the next
 * `prompts[i]`, types `answers[i]`. Returns everything the terminal showed.
 */
export function weftInTerminal(
  args: readonly string[],
  env: Record<string, string>,
  dialogue: readonly (readonly [prompt: string, answer: string])[] = [],
): Promise<WeftRun> {
  const quoted = [process.execPath, '--import', 'tsx', CLI, ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ')
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WEFT_')))
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', quoted, '/dev/null'], { env: { ...base, ...env, COLUMNS: '160' } })
    let stdout = ''
    let next = 0
    let seenUpTo = 0
    const onOutput = (c: Buffer) => {
      stdout += c.toString()
      // Answer only once the prompt is up (raw mode on), so nothing typed is echoed by the terminal.
      while (next < dialogue.length) {
        const at = stdout.indexOf(dialogue[next]![0], seenUpTo)
        if (at < 0) break
        seenUpTo = at + dialogue[next]![0].length
        child.stdin.write(dialogue[next]![1])
        next++
      }
    }
    child.stdout.on('data', onOutput)
    child.stderr.on('data', onOutput)
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr: '' }))
  })
}
