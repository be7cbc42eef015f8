import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';
import { refusal } from '../errors';
import { ErrorCode, MAX_CACHED_DOCUMENT_CHARS, MAX_CACHED_DOCUMENTS } from '../protocol';

/** What parsing and validating through yoga's envelop needs (its `getEnveloped` result has these). */
export interface DocumentPipeline {
  schema: GraphQLSchema;
  parse(source: string): DocumentNode;
  validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[];
}

/** A document ready to run, or why it cannot. */
export type Checked = { document: DocumentNode; errors: null } | { document: null; errors: readonly GraphQLError[] };


/**
 * Parses and validates each document text once, through yoga's envelop (so graphql-armor and every
 * other validation rule apply), and remembers a valid one in a bounded least-recently-used map: a
 * client's signalling sends the same few texts thousands of times. Parse hooks run on the first
 * sight of a text only, as yoga's own parser cache does; execution hooks run for every operation.
 * The document object is yoga's (its parse cache hands it out), so the compiled form
 * (api/compiled-execution.ts) is shared with HTTP and SSE.
 */
export class DocumentCache {
  private readonly byText = new Map<string, Checked>();

  constructor(
    private readonly onLookup: (hit: boolean) => void = () => undefined,
    private readonly maxEntries = MAX_CACHED_DOCUMENTS,
  ) {}

  check(text: string, pipeline: DocumentPipeline): Checked {
    const cached = this.byText.get(text);
    if (cached) {
      // Most recently used last: Map keeps insertion order.
      this.byText.delete(text);
      this.byText.set(text, cached);
      this.onLookup(true);
      return cached;
    }
    this.onLookup(false);
    const checked = checkDocument(text, pipeline);
    // Refused texts are checked again each time, so the plugins see (and count) every refusal.
    if (checked.document && text.length <= MAX_CACHED_DOCUMENT_CHARS) {
      if (this.byText.size >= this.maxEntries) this.byText.delete(this.byText.keys().next().value as string);
      this.byText.set(text, checked);
    }
    return checked;
  }
}

function checkDocument(text: string, { schema, parse, validate }: DocumentPipeline): Checked {
  let document: DocumentNode;
  try {
    document = parse(text);
  } catch (error) {
    const message = error instanceof GraphQLError ? error.message : 'the query could not be parsed';
    return { document: null, errors: [refusal(ErrorCode.ParseFailed, message)] };
  }
  const errors = validate(schema, document);
  if (errors.length === 0) return { document, errors: null };
  return {
    document: null,
    errors: errors.map((e) =>
      e.extensions['code'] ? e : new GraphQLError(e.message, { nodes: e.nodes ?? null, extensions: { code: ErrorCode.ValidationFailed } }),
    ),
  };
}
