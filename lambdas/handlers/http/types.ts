import type { RouteId, RouteSpec } from '../../contract/routes';

export interface ApiRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The parsed JSON body; `{}` when there is none. */
  readonly body: unknown;
}

export interface ApiResponse {
  readonly statusCode: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RouteHandler = (request: ApiRequest) => Promise<ApiResponse>;

/** One handler for every route of the contract: a route without one does not compile. */
export type RouteHandlers = { readonly [Id in RouteId]: RouteHandler };

/** A route of the contract with the handler that serves it. */
export interface Route extends RouteSpec {
  readonly id: RouteId;
  readonly handle: RouteHandler;
}
