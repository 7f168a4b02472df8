import type { Route } from '../parseRoute.ts'

/**
 * The shape of a request's route for logs and metric labels: `/v1/t/:tenant/db/:db/push`. Ids are
 * replaced by placeholders, so the set of shapes is fixed whatever paths clients send; a path the
 * server does not serve is `unknown`.
 */
export function routeShape(route: Route | undefined, pathname: string): string {
  if (pathname === '/v1/health' || pathname === '/v1/ready' || pathname === '/v1/identity' || pathname === '/metrics')
    return pathname
  if (!route) return 'unknown'
  const base = route.pathTenant === undefined ? '/v1' : '/v1/t/:tenant'
  switch (route.kind) {
    case 'ws':
      return `${base}/ws`
    case 'tenant':
      return `${base}/${route.op}`
    case 'mail':
      return `${base}/mail/${route.op}`
    case 'db':
      return `${base}/db/:db/${route.op}`
  }
}
