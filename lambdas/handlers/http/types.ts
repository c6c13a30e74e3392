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

export type RouteAccess = 'public' | 'admin';

export interface Route {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path with `{name}` placeholders, e.g. `/v1/apps/{appId}`. */
  readonly path: string;
  readonly access: RouteAccess;
  /** Whether the route reads a JSON body (others ignore any body sent). */
  readonly readsBody?: boolean;
  readonly handle: (request: ApiRequest) => Promise<ApiResponse>;
}
