import { ErrorCodes } from '@weft/core'

const REMEDIES: Readonly<Record<string, string>> = {
  [ErrorCodes.WRONG_PASSWORD]:
    'check the password (WEFT_PASSWORD, --password-file, or the prompt); nothing was changed',
  [ErrorCodes.TENANT_NOT_FOUND]:
    'check --tenant and --data; `weft tenant list --data <folder>` shows the tenants a folder holds',
  [ErrorCodes.TENANT_EXISTS]: 'the folder already holds this tenant: use `weft tenant open` or another --tenant',
  [ErrorCodes.STORAGE_ERROR]:
    'check that the folder exists and is writable, and that no other process (a server, another weft) has it open',
  [ErrorCodes.INVALID_ARGUMENT]: 'check the arguments against `weft <command> --help`',
  [ErrorCodes.CLOSED]: 'the store was closed while in use: run the command again',
  [ErrorCodes.QUOTA_EXCEEDED]: 'the disk or the server quota is full: free space or raise the quota',
  [ErrorCodes.MALFORMED_BLOB]: 'the file or record is damaged or not a Weft file: use another copy',
}

/** One line telling the user what to do about an error code. */
export function remedyFor(code: string): string {
  return REMEDIES[code] ?? `see the section ${code} in docs/errors.md`
}
