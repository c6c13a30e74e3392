import { NotFoundError } from '../core/errors';
import { newId } from '../core/ids';
import type { Endpoint } from '../core/model';
import type { CreateEndpointInput, RotateSecretInput, UpdateEndpointInput } from '../core/schemas';
import { generateSecret } from '../core/signing';
import { type EndpointUrlPolicy, validateEndpointUrl } from '../core/url-guard';
import { rotateSecrets } from '../core/webhook';
import type { Clock, EndpointStore, Page, PageRequest } from '../ports';
import type { AppService } from './apps';

export class EndpointService {
  constructor(
    private readonly deps: {
      readonly apps: AppService;
      readonly endpoints: EndpointStore;
      readonly clock: Clock;
      readonly urlPolicy: EndpointUrlPolicy;
    },
  ) {}

  async create(appId: string, input: CreateEndpointInput): Promise<Endpoint> {
    await this.deps.apps.get(appId);
    const url = validateEndpointUrl(input.url, this.deps.urlPolicy);
    const now = this.deps.clock.now();
    const endpoint: Endpoint = {
      id: newId('endpoint', now),
      appId,
      kind: input.kind,
      url: url.href,
      description: input.description ?? '',
      eventTypes: input.eventTypes ?? null,
      channels: input.channels ?? null,
      headers: input.headers ?? {},
      disabled: input.disabled ?? false,
      failingSince: null,
      rateLimit: input.rateLimit ?? null,
      metadata: input.metadata ?? {},
      secrets: { current: input.secret ?? generateSecret(), previous: null, previousExpiresAt: null },
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
    const previous = await this.get(appId, endpointId);
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
      updatedAt: this.deps.clock.now().toISOString(),
    };
    await this.deps.endpoints.update(next);
    return next;
  }

  async delete(appId: string, endpointId: string): Promise<void> {
    await this.deps.apps.get(appId);
    if (!(await this.deps.endpoints.delete(appId, endpointId)))
      throw new NotFoundError('Endpoint', endpointId);
  }

  async getSecret(appId: string, endpointId: string): Promise<string> {
    return (await this.get(appId, endpointId)).secrets.current;
  }

  /** A new secret (given or generated); the old one keeps signing for 24 hours. */
  async rotateSecret(appId: string, endpointId: string, input: RotateSecretInput): Promise<void> {
    const endpoint = await this.get(appId, endpointId);
    const now = this.deps.clock.now();
    await this.deps.endpoints.update({
      ...endpoint,
      secrets: rotateSecrets(endpoint.secrets, input.key ?? generateSecret(), now),
      updatedAt: now.toISOString(),
    });
  }
}
