import type { Principal } from '../contract/auth';
import type { RouteSpec } from '../contract/routes';
import { ForbiddenError, NotFoundError } from './errors';

/**
 * What a principal may do on a route (README, "Application keys"; the levels are in lambdas/contract/routes.ts).
 * The admin key may do everything. An application key acts on its own application only:
 * another application's id is answered 404, exactly as an id that does not exist, so that a
 * key cannot learn which ids exist; once the id is its own, a route only the admin may use
 * is refused with 403. The authorizer (AWS) and local mode both end here.
 */
export function authorize(
  route: Pick<RouteSpec, 'access'>,
  params: Readonly<Record<string, string>>,
  principal: Principal,
): void {
  if (principal.role === 'admin' || route.access === 'public' || route.access === 'anyKey') return;
  if (params.appId !== undefined && params.appId !== principal.appId) {
    throw new NotFoundError('Application', params.appId);
  }
  if (route.access === 'admin') throw new ForbiddenError('This route needs the admin key.');
}
