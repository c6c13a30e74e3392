import { LIMITS } from '../contract/limits';
import { ConflictError, MalformedRequestError, NotFoundError, ValidationError } from '../core/errors';
import { newId } from '../core/ids';
import { withSubscriptionChange } from '../core/matching';
import type { Attempt, Endpoint, EndpointKind } from '../core/model';
import type {
  CreateEndpointInput,
  EndpointAttemptsQuery,
  RecoverInput,
  RotateSecretInput,
  StatsQuery,
  UpdateEndpointInput,
} from '../core/schemas';
import { generateSecret } from '../core/signing';
import { type EndpointUrlPolicy, validateEndpointUrl } from '../core/url-guard';
import { freshSecrets, rotateSecrets, TEST_WAIT_MS } from '../core/webhook';
import type {
  Clock,
  DeliveryCounts,
  DeliveryStore,
  EndpointStore,
  MessageStore,
  Page,
  PageRequest,
} from '../ports';
import type { AppService } from './apps';
import { nextUpdatedAt, updateFromLatest } from './updates';

const DAY_MS = 86_400_000;
/** How often a test send's record is looked for. */
const TEST_POLL_MS = 200;

export class EndpointService {
  constructor(
    private readonly deps: {
      readonly apps: AppService;
      readonly endpoints: EndpointStore;
      readonly deliveries: DeliveryStore;
      readonly messages: MessageStore;
      readonly clock: Clock;
      readonly urlPolicy: EndpointUrlPolicy;
    },
  ) {}

  async create(appId: string, input: CreateEndpointInput): Promise<Endpoint> {
    await this.deps.apps.get(appId);
    if (input.kind === 'poll') refusePushFields(input);
    else if (input.url === undefined) throw ValidationError.forField('url', 'A push endpoint needs a url.');
    const url = input.url === undefined ? null : validateEndpointUrl(input.url, this.deps.urlPolicy).href;
    const now = this.deps.clock.now();
    const endpoint: Endpoint = {
      id: newId('endpoint', now),
      appId,
      kind: input.kind,
      url,
      description: input.description ?? '',
      eventTypes: input.eventTypes ?? null,
      channels: input.channels ?? null,
      headers: input.headers ?? {},
      disabled: input.disabled ?? false,
      failingSince: null,
      subscriptionChanges: [],
      rateLimit: input.rateLimit ?? null,
      metadata: input.metadata ?? {},
      secrets: freshSecrets(input.secret ?? generateSecret()),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await this.deps.endpoints.create(endpoint);
    return endpoint;
  }

  async get(appId: string, endpointId: string): Promise<Endpoint> {
    await this.deps.apps.get(appId);
    const endpoint = await this.deps.endpoints.get(appId, endpointId);
    if (endpoint === undefined) throw new NotFoundError('Endpoint', endpointId);
    return endpoint;
  }

  async list(appId: string, page: PageRequest): Promise<Page<Endpoint>> {
    await this.deps.apps.get(appId);
    return this.deps.endpoints.list(appId, page);
  }

  async update(appId: string, endpointId: string, input: UpdateEndpointInput): Promise<Endpoint> {
    return updateFromLatest(
      () => this.get(appId, endpointId),
      async (previous) => {
        if (previous.kind === 'poll') refusePushFields(input);
        const url =
          input.url === undefined ? previous.url : validateEndpointUrl(input.url, this.deps.urlPolicy).href;
        const next: Endpoint = {
          ...previous,
          url,
          description: input.description ?? previous.description,
          eventTypes: input.eventTypes === undefined ? previous.eventTypes : input.eventTypes,
          channels: input.channels === undefined ? previous.channels : input.channels,
          headers: input.headers ?? previous.headers,
          disabled: input.disabled ?? previous.disabled,
          // Enabled again, the endpoint starts with a clean slate: it is not disabled at its next failure.
          failingSince: previous.disabled && input.disabled === false ? null : previous.failingSince,
          rateLimit: input.rateLimit === undefined ? previous.rateLimit : input.rateLimit,
          metadata: input.metadata ?? previous.metadata,
          updatedAt: nextUpdatedAt(previous.updatedAt, this.deps.clock.now()),
        };
        const recorded = {
          ...next,
          subscriptionChanges: withSubscriptionChange(previous, next, next.updatedAt),
        };
        await this.deps.endpoints.update(previous, recorded);
        return recorded;
      },
    );
  }

  async delete(appId: string, endpointId: string): Promise<void> {
    await this.deps.apps.get(appId);
    if (!(await this.deps.endpoints.delete(appId, endpointId)))
      throw new NotFoundError('Endpoint', endpointId);
  }

  /**
   * Sends the endpoint a `webhook.test` now and answers its attempt. The POST leaves from
   * the delivery function (the fixed egress IPs), so this asks for it and waits for its
   * record: every TEST_POLL_MS, one consistent GetItem, for at most TEST_WAIT_MS, within the
   * API function's timeout. The attempt itself gives up after TEST_ATTEMPT_TIMEOUT_MS, so a slow
   * receiver is answered as a timeout; only a request that took longer than the rest of
   * the wait to reach the delivery function leaves the answer undefined (its attempt shows
   * up in the endpoint's attempts when it is made).
   */
  async test(
    appId: string,
    endpointId: string,
  ): Promise<{ readonly msgId: string; readonly attempt?: Attempt }> {
    const endpoint = await this.ofKind(appId, endpointId, 'push');
    if (endpoint.disabled) throw new ConflictError('The endpoint is disabled: enable it to send it a test.');
    const now = this.deps.clock.now();
    const id = newId('message', now);
    await this.deps.messages.requestAttempts({
      id,
      appId,
      endpointId,
      kind: 'test',
      requestedAt: now.toISOString(),
    });
    const deadline = Date.now() + TEST_WAIT_MS;
    while (Date.now() < deadline) {
      const attempt = await this.deps.deliveries.getRequestedAttempt(id, endpointId, id);
      if (attempt !== undefined) return { msgId: id, attempt };
      await new Promise((resolve) => setTimeout(resolve, TEST_POLL_MS));
    }
    return { msgId: id };
  }

  /** Sends again every failed delivery of the endpoint whose message was accepted since `since`. */
  async recover(appId: string, endpointId: string, input: RecoverInput): Promise<{ readonly since: string }> {
    const endpoint = await this.ofKind(appId, endpointId, 'push');
    if (endpoint.disabled)
      throw new ConflictError('The endpoint is disabled: enable it to recover its deliveries.');
    const now = this.deps.clock.now();
    const since = new Date(input.since);
    if (since >= now) throw ValidationError.forField('since', 'since must be in the past.');
    await this.deps.messages.requestAttempts({
      id: newId('message', now),
      appId,
      endpointId,
      kind: 'recover',
      since: since.toISOString(),
      requestedAt: now.toISOString(),
    });
    return { since: since.toISOString() };
  }

  /** The endpoint's attempts, newest first; `?outcome=failed` for the failures only. */
  async attempts(appId: string, endpointId: string, query: EndpointAttemptsQuery): Promise<Page<Attempt>> {
    await this.get(appId, endpointId);
    return this.deps.deliveries.listEndpointAttempts(endpointId, query);
  }

  /**
   * How the endpoint's deliveries of the messages accepted in a window stand: the last 24
   * hours unless `since` and `until` say otherwise, at most LIMITS.statsWindowDays wide and
   * LIMITS.statsDeliveries deliveries (each is read: a busier window is refused, not left
   * to run out API Gateway's time).
   */
  async stats(appId: string, endpointId: string, query: StatsQuery): Promise<EndpointStats> {
    const endpoint = await this.get(appId, endpointId);
    const until = query.until === undefined ? this.deps.clock.now() : new Date(query.until);
    const since = query.since === undefined ? new Date(until.getTime() - DAY_MS) : new Date(query.since);
    if (since >= until)
      throw new MalformedRequestError('The window must begin before it ends (since < until).');
    if (until.getTime() - since.getTime() > LIMITS.statsWindowDays * DAY_MS) {
      throw new MalformedRequestError(`The window is at most ${LIMITS.statsWindowDays} days wide.`);
    }
    const counted = await this.deps.deliveries.countEndpointDeliveries(
      endpointId,
      since,
      until,
      LIMITS.statsDeliveries,
    );
    if (counted === 'too_many') {
      throw new MalformedRequestError(
        `The window holds more than ${LIMITS.statsDeliveries.toLocaleString('en-US')} deliveries to this endpoint, more than one call counts: ask for a narrower one (since, until). The delivery metrics on the dashboard count any volume.`,
      );
    }
    const { pulled, ...counts } = counted;
    return {
      since: since.toISOString(),
      until: until.toISOString(),
      ...counts,
      // A poll endpoint's deliveries succeed when enqueued; what matters next is whether they were pulled.
      pull: endpoint.kind === 'poll' ? { pulled, pending: counts.succeeded - pulled } : null,
    };
  }

  async getSecret(appId: string, endpointId: string): Promise<string> {
    return (await this.ofKind(appId, endpointId, 'push')).secrets.current;
  }

  /** A new secret (given or generated); the old one keeps signing for 24 hours. */
  async rotateSecret(appId: string, endpointId: string, input: RotateSecretInput): Promise<void> {
    const key = input.key ?? generateSecret();
    await updateFromLatest(
      () => this.ofKind(appId, endpointId, 'push'),
      async (previous) => {
        const now = this.deps.clock.now();
        const next = {
          ...previous,
          secrets: rotateSecrets(previous.secrets, key, now),
          updatedAt: nextUpdatedAt(previous.updatedAt, now),
        };
        await this.deps.endpoints.update(previous, next);
        return next;
      },
    );
  }

  /** The endpoint, if it is of this kind: a 409 otherwise (pushing means nothing to a poll endpoint, and pulling to a push one). */
  async ofKind(appId: string, endpointId: string, kind: EndpointKind): Promise<Endpoint> {
    const endpoint = await this.get(appId, endpointId);
    requireKind(endpoint, kind);
    return endpoint;
  }
}

const NOT_OF_KIND: Readonly<Record<EndpointKind, string>> = {
  push: 'is a poll endpoint: its consumer pulls its notifications.',
  poll: 'is a push endpoint: its messages are POSTed to its url.',
};

/** Refuses (409) an endpoint that is not of the kind an operation needs. */
export function requireKind(endpoint: Endpoint, kind: EndpointKind): void {
  if (endpoint.kind !== kind) throw new ConflictError(`Endpoint ${endpoint.id} ${NOT_OF_KIND[kind]}`);
}

export type EndpointStats = Omit<DeliveryCounts, 'pulled'> & {
  readonly since: string;
  readonly until: string;
  /** A poll endpoint's enqueued notifications: pulled, or pending (not yet deleted; kept a day, then expired). */
  readonly pull: { readonly pulled: number; readonly pending: number } | null;
};

/** What only a push endpoint has: a poll endpoint refuses each, naming it. */
function refusePushFields(input: {
  readonly url?: string | undefined;
  readonly headers?: unknown;
  readonly rateLimit?: number | null | undefined;
  readonly secret?: string | undefined;
}): void {
  for (const field of ['url', 'headers', 'rateLimit', 'secret'] as const) {
    if (input[field] !== undefined && input[field] !== null) {
      throw ValidationError.forField(
        field,
        `A poll endpoint has no ${field}: its consumer pulls, nothing is POSTed.`,
      );
    }
  }
}
