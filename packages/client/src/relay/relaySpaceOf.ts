/** The tenant id of a grant's relay space on a server: one space per grant, named by the grant id. */
export function relaySpaceOf(grantId: string): string {
  return `weft-grant-${grantId}`
}
