import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Documents, MARSHALL_OPTIONS } from './documents';

/**
 * {@link Documents} over the SDK's document client, with the SDK's whole credential chain
 * (profiles, SSO, …): for a script an operator runs against a deployed stack from their
 * own machine (scripts/upgrade-failure-markers.ts). The functions use the lighter
 * JsonDocuments (documents.ts); `test/integration/documents.contract.test.ts` holds both to
 * the same behaviour.
 */
export class SdkDocuments implements Documents {
  private readonly doc: DynamoDBDocumentClient;

  constructor(readonly client: DynamoDBClient = new DynamoDBClient({})) {
    // A copy: the document client writes its own settings into the options it is given.
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { ...MARSHALL_OPTIONS } });
  }

  get: Documents['get'] = (input) => this.doc.send(new GetCommand(input));
  put: Documents['put'] = (input) => this.doc.send(new PutCommand(input));
  update: Documents['update'] = (input) => this.doc.send(new UpdateCommand(input));
  delete: Documents['delete'] = (input) => this.doc.send(new DeleteCommand(input));
  query: Documents['query'] = (input) => this.doc.send(new QueryCommand(input));
  scan: Documents['scan'] = (input) => this.doc.send(new ScanCommand(input));
  batchGet: Documents['batchGet'] = (input) => this.doc.send(new BatchGetCommand(input));
  batchWrite: Documents['batchWrite'] = (input) => this.doc.send(new BatchWriteCommand(input));
}
