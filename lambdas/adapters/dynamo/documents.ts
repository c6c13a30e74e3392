import type {
  AttributeValue,
  BatchGetItemOutput,
  BatchWriteItemOutput,
  DeleteItemOutput,
  GetItemOutput,
  PutItemOutput,
  QueryOutput,
  ScanOutput,
  UpdateItemOutput,
} from '@aws-sdk/client-dynamodb';
import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DeleteCommandInput,
  DeleteCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, type marshallOptions, unmarshall } from '@aws-sdk/util-dynamodb';
import { type AwsClientOptions, AwsJsonClient, DYNAMODB } from '../aws/json-protocol/aws-json-client';

/** An operation's answer without the SDK's `$metadata`, which nothing here reads. */
type Answer<Output> = Omit<Output, '$metadata'>;

/**
 * DynamoDB's item operations on plain JavaScript values, as every store uses them: the
 * inputs and outputs of the SDK's document client (`@aws-sdk/lib-dynamodb`), whose types
 * these are, without its client. A store never sees an AttributeValue.
 */
export interface Documents {
  get(input: GetCommandInput): Promise<Answer<GetCommandOutput>>;
  put(input: PutCommandInput): Promise<Answer<PutCommandOutput>>;
  update(input: UpdateCommandInput): Promise<Answer<UpdateCommandOutput>>;
  delete(input: DeleteCommandInput): Promise<Answer<DeleteCommandOutput>>;
  query(input: QueryCommandInput): Promise<Answer<QueryCommandOutput>>;
  scan(input: ScanCommandInput): Promise<Answer<ScanCommandOutput>>;
  batchGet(input: BatchGetCommandInput): Promise<Answer<BatchGetCommandOutput>>;
  batchWrite(input: BatchWriteCommandInput): Promise<Answer<BatchWriteCommandOutput>>;
}

type Item = Record<string, unknown>;
type Attributes = Record<string, AttributeValue>;

/** Optional fields left `undefined` are left out of the item, as the stores expect. */
export const MARSHALL_OPTIONS: Readonly<marshallOptions> = Object.freeze({ removeUndefinedValues: true });

const toAttributes = (item: Item): Attributes => marshall(item, MARSHALL_OPTIONS);
const toAttributesIfAny = (item: Item | undefined): Attributes | undefined =>
  item === undefined ? undefined : toAttributes(item);
const fromAttributes = (attributes: Attributes): Item => unmarshall(mapValues(attributes, withBlobsDecoded));

/**
 * An answer's value with its blobs as bytes: the JSON protocol carries them as base64
 * (the client sends them so too), and the marshaller reads bytes.
 */
function withBlobsDecoded(value: AttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: bytesOf(value.B as unknown as string) };
  if (value.BS !== undefined) return { BS: value.BS.map((blob) => bytesOf(blob as unknown as string)) };
  if (value.M !== undefined) return { M: mapValues(value.M, withBlobsDecoded) };
  if (value.L !== undefined) return { L: value.L.map(withBlobsDecoded) };
  return value;
}

function bytesOf(base64: string): Uint8Array {
  const buffer = Buffer.from(base64, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function mapValues<From, To>(record: Readonly<Record<string, From>>, convert: (value: From) => To) {
  const converted: Record<string, To> = {};
  for (const [name, value] of Object.entries(record)) converted[name] = convert(value);
  return converted;
}
const fromAttributesIfAny = (attributes: Attributes | undefined): Item | undefined =>
  attributes === undefined ? undefined : fromAttributes(attributes);

/** Per table: a map of each table's value, converted. */
function perTable<From, To>(
  tables: Readonly<Record<string, From>> | undefined,
  convert: (value: From) => To,
): Record<string, To> | undefined {
  return tables === undefined ? undefined : mapValues(tables, convert);
}

type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];
type NativeWriteRequest = WriteRequests[number];
type WireWriteRequest = NonNullable<NonNullable<BatchWriteItemOutput['UnprocessedItems']>[string]>[number];

function writeRequestToWire(request: NativeWriteRequest): WireWriteRequest {
  return {
    ...(request.PutRequest?.Item === undefined
      ? {}
      : { PutRequest: { Item: toAttributes(request.PutRequest.Item) } }),
    ...(request.DeleteRequest?.Key === undefined
      ? {}
      : { DeleteRequest: { Key: toAttributes(request.DeleteRequest.Key) } }),
  };
}

function writeRequestFromWire(request: WireWriteRequest): NativeWriteRequest {
  return {
    ...(request.PutRequest?.Item === undefined
      ? {}
      : { PutRequest: { Item: fromAttributes(request.PutRequest.Item) } }),
    ...(request.DeleteRequest?.Key === undefined
      ? {}
      : { DeleteRequest: { Key: fromAttributes(request.DeleteRequest.Key) } }),
  };
}

/** The expression values and start key of a Query or Scan, as DynamoDB takes them. */
function withWireValues<Input extends { ExpressionAttributeValues?: Item; ExclusiveStartKey?: Item }>(
  input: Input,
) {
  return {
    ...input,
    ExpressionAttributeValues: toAttributesIfAny(input.ExpressionAttributeValues),
    ExclusiveStartKey: toAttributesIfAny(input.ExclusiveStartKey),
  };
}

/** The items and next key of a Query or Scan, as the stores read them. */
function fromWirePage(output: QueryOutput | ScanOutput) {
  return {
    ...output,
    Items: output.Items?.map(fromAttributes),
    LastEvaluatedKey: fromAttributesIfAny(output.LastEvaluatedKey),
  };
}

/**
 * {@link Documents} over DynamoDB's JSON protocol (lambdas/adapters/aws/json-protocol):
 * values converted by the SDK's own marshaller (`@aws-sdk/util-dynamodb`), with its
 * document client's conversions for each field that holds items, keys or values.
 * Errors are the client's AwsServiceError, named as the SDK names its exceptions.
 */
export class JsonDocuments implements Documents {
  constructor(private readonly dynamo: AwsJsonClient) {}

  async get(input: GetCommandInput) {
    const output = await this.dynamo.call<GetItemOutput>('GetItem', {
      ...input,
      Key: toAttributesIfAny(input.Key),
    });
    return { ...output, Item: fromAttributesIfAny(output.Item) };
  }

  async put(input: PutCommandInput) {
    const output = await this.dynamo.call<PutItemOutput>('PutItem', {
      ...input,
      Item: toAttributesIfAny(input.Item),
      ExpressionAttributeValues: toAttributesIfAny(input.ExpressionAttributeValues),
    });
    return { ...output, Attributes: fromAttributesIfAny(output.Attributes) };
  }

  async update(input: UpdateCommandInput) {
    const output = await this.dynamo.call<UpdateItemOutput>('UpdateItem', {
      ...input,
      Key: toAttributesIfAny(input.Key),
      ExpressionAttributeValues: toAttributesIfAny(input.ExpressionAttributeValues),
    });
    return { ...output, Attributes: fromAttributesIfAny(output.Attributes) };
  }

  async delete(input: DeleteCommandInput) {
    const output = await this.dynamo.call<DeleteItemOutput>('DeleteItem', {
      ...input,
      Key: toAttributesIfAny(input.Key),
      ExpressionAttributeValues: toAttributesIfAny(input.ExpressionAttributeValues),
    });
    return { ...output, Attributes: fromAttributesIfAny(output.Attributes) };
  }

  async query(input: QueryCommandInput) {
    return fromWirePage(await this.dynamo.call<QueryOutput>('Query', withWireValues(input)));
  }

  async scan(input: ScanCommandInput) {
    return fromWirePage(await this.dynamo.call<ScanOutput>('Scan', withWireValues(input)));
  }

  async batchGet(input: BatchGetCommandInput) {
    const output = await this.dynamo.call<BatchGetItemOutput>('BatchGetItem', {
      ...input,
      RequestItems: perTable(input.RequestItems, (read) => ({
        ...read,
        Keys: read.Keys?.map(toAttributes),
      })),
    });
    return {
      ...output,
      Responses: perTable(output.Responses, (items) => items.map(fromAttributes)),
      UnprocessedKeys: perTable(output.UnprocessedKeys, (read) => ({
        ...read,
        Keys: read.Keys?.map(fromAttributes),
      })),
    };
  }

  async batchWrite(input: BatchWriteCommandInput) {
    const output = await this.dynamo.call<BatchWriteItemOutput>('BatchWriteItem', {
      ...input,
      RequestItems: perTable(input.RequestItems, (requests) => requests.map(writeRequestToWire)),
    });
    return {
      ...output,
      UnprocessedItems: perTable(output.UnprocessedItems, (requests) => requests.map(writeRequestFromWire)),
    };
  }
}

/**
 * How long a DynamoDB call may stay silent before it is given up and tried again: longer
 * than the client's default. A DynamoDB write given up may have been applied
 * (aws-json-client.ts), and retried, a conditional one then answers that its condition
 * failed, which can change what a store answers; so only a call that is surely stuck is
 * given up (DynamoDB answers in milliseconds). The other writes keep the default: a
 * SendMessageBatch sent twice only queues a task twice, which delivery tells apart, and
 * a CreateSchedule sent again carries the same idempotency token. A caller that only
 * reads may choose a shorter one (the authorizer).
 */
const DOCUMENTS_ATTEMPT_TIMEOUT_MS = 5_000;

/** The documents of DynamoDB (or a store that answers as it does) for these options. */
export function createDocuments(options: AwsClientOptions): Documents {
  return new JsonDocuments(
    new AwsJsonClient(DYNAMODB, { attemptTimeoutMs: DOCUMENTS_ATTEMPT_TIMEOUT_MS, ...options }),
  );
}

/**
 * A record whose keys the caller chose (metadata, custom headers), ready for the
 * marshaller. The marshaller takes a plain object with a key named `constructor` for a class
 * instance and refuses it; a Map it always writes as a DynamoDB map.
 */
export function asMapAttribute(record: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(record));
}
