import { spawn } from 'node:child_process'

/**
 * Runs `script` (TypeScript, through tsx) in a child Node process with `--expose-gc` and `env` added
 * to this process's environment, and resolves with the JSON of the last line it prints; rejects
 * when it exits otherwise than with 0. For tests that measure a process's memory alone.
 */
export function runChildJson<T>(script: string, env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as T) : reject(new Error(`exit ${code}`)),
    )
  })
}
