/** Where a command writes: text for people, or one JSON document (`--json`) for machines. */
export class Output {
  readonly json: boolean
  readonly env: NodeJS.ProcessEnv
  readonly #stdout: NodeJS.WritableStream
  readonly #stderr: NodeJS.WritableStream

  constructor(options: {
    json: boolean
    env: NodeJS.ProcessEnv
    stdout: NodeJS.WritableStream
    stderr: NodeJS.WritableStream
  }) {
    this.json = options.json
    this.env = options.env
    this.#stdout = options.stdout
    this.#stderr = options.stderr
  }

  /** Whether progress may be drawn as a bar (stderr is a terminal and output is for people). */
  get interactive(): boolean {
    return !this.json && (this.#stderr as { isTTY?: boolean }).isTTY === true
  }

  /** The result: `value` as JSON with `--json`, else `text()` as lines. */
  result(value: unknown, text: () => string[]): void {
    if (this.json) this.#stdout.write(`${JSON.stringify(value, null, 2)}\n`)
    else for (const line of text()) this.#stdout.write(`${line}\n`)
  }

  /** A line for people about what is going on (stderr, so results stay clean). */
  note(line: string): void {
    this.#stderr.write(`${line}\n`)
  }

  /** The raw error stream, for progress bars. */
  get stderr(): NodeJS.WritableStream {
    return this.#stderr
  }
}
