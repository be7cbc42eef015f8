import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  locatedError,
  type OperationTypeNode,
  parse,
  print,
} from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { maskError } from 'graphql-yoga';
import type { Logger } from 'pino';
import { codeErrors } from '../api/coded-errors';
import { countRejections } from '../api/rejection-metrics';
import type { Metrics } from '../metrics';
import { MAX_QUERY_TOKENS } from '../protocol';

/** An operation's variables as a subscribe payload carries them. */
export type Variables = Record<string, unknown> | null;
type Stream = AsyncIterableIterator<ExecutionResult>;

/** One of the SDK's hot documents, validated and compiled once at start-up. */
export interface PreparedOperation {
  name: string;
  kind: OperationTypeNode;
  /** Runs a query or mutation; the result's errors are already coded, counted and masked. */
  execute(context: unknown, variables: Variables): Promise<ExecutionResult>;
  /**
   * Opens a subscription: a stream of results, or the result that refused it (settled as above). The
   * stream's results are not settled yet: pass each through {@link PreparedOperation.settle}.
   */
  subscribe(context: unknown, variables: Variables): Promise<Stream | ExecutionResult>;
  /** Codes, counts and masks a result's errors as the plugins do. */
  settle(result: ExecutionResult): ExecutionResult;
}

/** How many distinct query texts the lookup remembers (SDKs send a handful; the rest only costs a parse). */
const MAX_REMEMBERED_TEXTS = 256;
/** Longer texts are not looked at: the prepared documents are a few hundred characters. */
const MAX_PREPARED_TEXT_CHARS = 4_096;
/** What yoga answers for an error it masks; prepared operations answer the same. */
const UNEXPECTED_ERROR_MESSAGE = 'Unexpected error.';

/**
 * The documents every call runs dozens of times — the signal mutations and the `signals`
 * subscription — compiled with graphql-jit once, instead of going through yoga's per-operation
 * pipeline (envelop hooks, document caches, context building) on every message.
 *
 * Prepared operations keep what that pipeline does for them: only documents that pass the gateway's
 * own validation (the same rules every other operation meets) are prepared, and errors are given
 * codes, counted and masked as the plugins do (`settle`). A query text is matched after
 * normalisation (parse and print), so any client's spelling of a document finds it; any other
 * document goes the general way.
 */
export class PreparedOperations {
  private readonly byNormalText = new Map<string, PreparedOperation>();
  private readonly byText = new Map<string, PreparedOperation | null>();

  constructor(
    schema: GraphQLSchema,
    documents: readonly DocumentNode[],
    validate: (document: DocumentNode) => readonly GraphQLError[],
    private readonly reporting: { metrics: Metrics; log: Logger },
  ) {
    for (const document of documents) {
      const operation = getOperationAST(document);
      const name = operation?.name?.value;
      if (!operation || name === undefined || validate(document).length > 0) {
        throw new Error(`${name ?? 'a document'} cannot be prepared: only valid, named single operations can`);
      }
      const compiled = compileQuery(schema, document, name);
      if (!isCompiledQuery(compiled)) throw new Error(`${name} did not compile: ${compiled.errors?.[0]?.message ?? ''}`);
      const { query, subscribe } = compiled;
      this.byNormalText.set(print(document), {
        name,
        kind: operation.operation,
        execute: async (context, variables) => this.settle(await query(undefined, context, variables)),
        subscribe: async (context, variables) => {
          if (!subscribe) throw new Error(`${name} is not a subscription`);
          let opened: Stream | ExecutionResult;
          try {
            opened = await subscribe(undefined, context, variables);
          } catch (error) {
            opened = { errors: [locatedError(error, undefined)] };
          }
          return Symbol.asyncIterator in opened ? opened : this.settle(opened);
        },
        settle: (result) => this.settle(result),
      });
    }
  }

  /** The prepared operation a subscribe payload asks for, if it is one. */
  find(query: string, operationName: string | null | undefined): PreparedOperation | undefined {
    if (query.length > MAX_PREPARED_TEXT_CHARS) return undefined;
    let prepared = this.byText.get(query);
    if (prepared === undefined) {
      prepared = this.byNormalText.get(normalise(query)) ?? null;
      if (this.byText.size >= MAX_REMEMBERED_TEXTS) this.byText.clear();
      this.byText.set(query, prepared);
    }
    if (prepared === null || (operationName != null && operationName !== prepared.name)) return undefined;
    return prepared;
  }

  /** What useCodedErrors, useRejectionMetrics and yoga's error masking do to a result, in their order. */
  private settle(result: ExecutionResult): ExecutionResult {
    if (!result.errors) return result;
    const errors = codeErrors(result.errors);
    countRejections(this.reporting.metrics, errors);
    return { ...result, errors: errors.map((error) => this.mask(error)) };
  }

  private mask(error: GraphQLError): GraphQLError {
    const masked = maskError(error, UNEXPECTED_ERROR_MESSAGE, false);
    if (masked === error) return error;
    this.reporting.log.error({ err: error }, 'unexpected error in a prepared operation');
    return masked instanceof GraphQLError ? masked : new GraphQLError(UNEXPECTED_ERROR_MESSAGE);
  }
}

function normalise(query: string): string {
  try {
    return print(parse(query, { noLocation: true, maxTokens: MAX_QUERY_TOKENS }));
  } catch {
    return '';
  }
}
