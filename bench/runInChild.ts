import { fork } from 'node:child_process'

/**
 * Runs `script` again in a fresh Node process with `args` (and Node flags `nodeFlags` besides this
 * process's own), and resolves with the one message it sends back over IPC (a timing, say) once it
 * exits cleanly. `what` names it in the error.
 */
export function runInChild<T>(
  script: string,
  args: readonly string[],
  what: string,
  nodeFlags: readonly string[] = [],
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [...args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...process.execArgv, ...nodeFlags],
    })
    let result: T | undefined
    child.on('message', (m) => (result = m as T))
    child.on('error', reject)
    child.on('exit', (code) =>
      result !== undefined && code === 0 ? resolve(result) : reject(new Error(`${what} exited with ${code}`)),
    )
  })
}
