import { TASK_MESSAGE_MAX_BYTES } from '../contract/queues';
import { isSendable, matchedWhenAccepted } from '../core/matching';
import type { AttemptRequest, DeliveryTask, Endpoint, Message } from '../core/model';
import type {
  Clock,
  DeliveryQueue,
  DeliveryStore,
  EndpointStore,
  MessageStore,
  PipelineMetrics,
  PullStateStore,
} from '../ports';
import { enqueueForPoll, takes } from './pull';

export interface FanOutDeps {
  readonly endpoints: EndpointStore;
  readonly deliveries: DeliveryStore;
  /** Where a recovery too large for one go asks for its next page. */
  readonly messages: Pick<MessageStore, 'requestAttempts'>;
  readonly queue: DeliveryQueue;
  readonly pulls: PullStateStore;
  readonly clock: Clock;
  readonly metrics: PipelineMetrics;
}

/**
 * Turns one accepted message into deliveries: one per matching endpoint. A push endpoint's
 * gets its first task on the delivery queue; a poll endpoint's is succeeded at once, the
 * message being in the endpoint's queue already (lambdas/services/pull.ts). Safe to run twice for the same message (the
 * change stream delivers at least once): a delivery is created once, and a duplicate
 * first task is dropped by the delivery service because its attempt is already recorded.
 */
export class FanOutService {
  constructor(
    private readonly deps: FanOutDeps,
    private readonly settings: { readonly recoveryPageDeliveries: number } = {
      recoveryPageDeliveries: RECOVERY_PAGE_DELIVERIES,
    },
  ) {}

  async fanOut(message: Message): Promise<{ readonly deliveries: number }> {
    return this.fanOutAll([message]);
  }

  /**
   * Fans out a batch of messages (a stream batch): each app's endpoints are read once, and
   * the first tasks of all the messages go to the queue together (ten to an SQS request),
   * not one request per message.
   */
  async fanOutAll(messages: readonly Message[]): Promise<{ readonly deliveries: number }> {
    const endpointsByApp = new Map<string, Promise<readonly Endpoint[]>>();
    const endpointsOf = (appId: string) => {
      let endpoints = endpointsByApp.get(appId);
      if (endpoints === undefined) {
        endpoints = this.deps.endpoints.listAll(appId);
        endpointsByApp.set(appId, endpoints);
      }
      return endpoints;
    };
    const perMessage = await Promise.all(
      messages.map(async (message) => {
        const matching = (await endpointsOf(message.appId)).filter((endpoint) =>
          // An endpoint disabled since still gets its delivery, which then ends failed without a
          // POST (a recovery can send it later); one created since gets none.
          endpoint.kind === 'poll' ? takes(endpoint, message) : matchedWhenAccepted(endpoint, message),
        );
        const carried = carriedMessage(message);
        const tasks: DeliveryTask[] = [];
        for (const endpoint of matching.filter((candidate) => candidate.kind === 'push')) {
          await this.deps.deliveries.createIfAbsent({
            msgId: message.id,
            appId: message.appId,
            endpointId: endpoint.id,
            eventType: message.eventType,
            status: 'pending',
            attemptCount: 0,
            nextAttemptAt: message.timestamp,
            lastAttempt: null,
            createdAt: message.timestamp,
            pulledAt: null,
          });
          // Enqueued even when the delivery existed: an earlier run may have died between the two steps.
          tasks.push({
            appId: message.appId,
            msgId: message.id,
            endpointId: endpoint.id,
            attemptNumber: 1,
            trigger: 'initial',
            ...carried,
          });
        }
        return { message, deliveries: matching.length, tasks, polled: matching.filter(isPoll) };
      }),
    );
    // A poll endpoint's messages of the batch in one go: its tail is raised once.
    const forPoll = new Map<string, { endpoint: Endpoint; messages: Message[] }>();
    for (const { message, polled } of perMessage) {
      for (const endpoint of polled) {
        const entry = forPoll.get(endpoint.id) ?? { endpoint, messages: [] };
        entry.messages.push(message);
        forPoll.set(endpoint.id, entry);
      }
    }
    await Promise.all(
      [...forPoll.values()].map(({ endpoint, messages: matched }) =>
        enqueueForPoll(this.deps, endpoint, matched),
      ),
    );
    const tasks = perMessage.flatMap((fanned) => fanned.tasks);
    if (tasks.length > 0) await this.deps.queue.send(tasks);
    for (const { message, deliveries } of perMessage) {
      this.deps.metrics.fannedOut({ appId: message.appId, msgId: message.id, deliveries });
    }
    return { deliveries: perMessage.reduce((sum, fanned) => sum + fanned.deliveries, 0) };
  }

  /**
   * Turns an attempt request into delivery tasks outside the ladder: one for a resend or a
   * test send; for a recovery, one per failed delivery of the endpoint since the given
   * time, a page of them per request (RECOVERY_PAGE_DELIVERIES). Safe to run twice (the
   * stream delivers at least once): an attempt made on request is recorded once per
   * request, so a second task for it sends again at worst.
   */
  async dispatchRequest(request: AttemptRequest): Promise<{ readonly tasks: number }> {
    // A recovery's pages are one request to the delivery function: its attempts are made
    // once per delivery for the whole recovery, however its pages fell.
    const [requestId = request.id] = request.id.split(RECOVERY_PAGE_SEPARATOR);
    const requested = (msgId: string, trigger: DeliveryTask['trigger']): DeliveryTask => ({
      appId: request.appId,
      msgId,
      endpointId: request.endpointId,
      attemptNumber: 0,
      trigger,
      requestId,
      ...(request.kind === 'test' ? { test: true } : {}),
    });
    if (request.kind === 'resend') return this.sendRequested([requested(request.msgId, 'manual')]);
    if (request.kind === 'test') return this.sendRequested([requested(request.id, 'manual')]);
    // An endpoint disabled or deleted since ends its recovery: its tasks would only be dropped.
    if (!isSendable(await this.deps.endpoints.get(request.appId, request.endpointId))) return { tasks: 0 };
    const page = await this.deps.deliveries.listFailedForEndpoint(
      request.endpointId,
      new Date(request.since),
      { after: request.after, limit: this.settings.recoveryPageDeliveries },
    );
    const sent = await this.sendRequested(
      page.deliveries.map((delivery) => requested(delivery.msgId, 'recover')),
    );
    // The rest of a large recovery is a request of its own, after this page's tasks are on
    // the queue: a crash in between sends this page again (its attempts are made once per
    // request), and a second write of the same next page changes nothing.
    if (page.last !== undefined) {
      await this.deps.messages.requestAttempts({
        ...request,
        id: `${requestId}${RECOVERY_PAGE_SEPARATOR}${page.last}`,
        // Its own time: a request expires a day after it was made (message-store.ts).
        requestedAt: this.deps.clock.now().toISOString(),
        after: page.last,
      });
    }
    return sent;
  }

  private async sendRequested(tasks: readonly DeliveryTask[]): Promise<{ readonly tasks: number }> {
    if (tasks.length > 0) await this.deps.queue.send(tasks);
    return { tasks: tasks.length };
  }
}

/**
 * A recovery reads and queues the endpoint's failures this many at a time, one page per
 * fan-out invocation: an outage's worth of failures (hundreds of thousands) would not fit
 * the function's minute, and a stream batch that never ends holds up the messages behind it.
 */
export const RECOVERY_PAGE_DELIVERIES = 1_000;
/** A recovery's next page is asked for as `{first request's id}{separator}{message to go on after}`. */
const RECOVERY_PAGE_SEPARATOR = '~after~';

/** The message, for its first-attempt tasks to carry, when it is small enough. */
function carriedMessage(message: Message): { message?: Message } {
  return Buffer.byteLength(JSON.stringify(message)) <= TASK_MESSAGE_MAX_BYTES ? { message } : {};
}

/** The fan-out function's service, over the adapters it uses. */
export function createFanOutService(adapters: FanOutDeps): FanOutService {
  return new FanOutService(adapters);
}

const isPoll = (endpoint: Endpoint) => endpoint.kind === 'poll';
