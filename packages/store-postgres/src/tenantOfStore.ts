/** The tenant of a store named `<tenant>/<name>`: the part before the last slash; undefined without one. */
export function tenantOfStore(name: string): string | undefined {
  const i = name.lastIndexOf('/')
  return i > 0 ? name.slice(0, i) : undefined
}
