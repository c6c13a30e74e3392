import { LIMITS } from '../../contract/limits';
import { MethodNotAllowedError, NotFoundError } from '../../core/errors';
import type { Route } from './types';

export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

export class Router {
  private readonly compiled: readonly { route: Route; segments: readonly string[] }[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((route) => ({ route, segments: route.path.split('/').filter(Boolean) }));
  }

  match(method: string, path: string): RouteMatch {
    const segments = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const { route, segments: pattern } of this.compiled) {
      const params = matchSegments(pattern, segments);
      if (params === undefined) continue;
      pathMatched = true;
      if (route.method === method.toUpperCase()) {
        if (Object.values(params).some((value) => value.length > LIMITS.pathParameterLength)) {
          throw new NotFoundError('Resource', path);
        }
        return { route, params };
      }
    }
    if (pathMatched) throw new MethodNotAllowedError(`${method} is not supported on ${path}.`);
    throw new NotFoundError('Route', path);
  }
}

function matchSegments(
  pattern: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index] as string;
    if (part.startsWith('{') && part.endsWith('}')) {
      let value: string;
      try {
        value = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
      params[part.slice(1, -1)] = value;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}
