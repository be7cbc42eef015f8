import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { type DocumentNode, GraphQLError, Kind, NoSchemaIntrospectionCustomRule, parse, print, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import * as wire from '@switchboard/client/wire';
import type { Config } from '../config';
import { refusal } from '../errors';
import {
  ErrorCode,
  MAX_QUERY_ALIASES,
  MAX_QUERY_COST,
  MAX_QUERY_DEPTH,
  MAX_QUERY_DIRECTIVES,
  MAX_QUERY_TOKENS,
} from '../protocol';

/** The SDK's documents, normalised: with KNOWN_OPERATIONS_ONLY these are all the gateway runs. */
const KNOWN_DOCUMENTS = new Set(
  (Object.values(wire) as unknown[]).flatMap((value) => {
    if (typeof value === 'string') return /^\s*(query|mutation|subscription)\b/.test(value) ? [print(parse(value))] : [];
    return isDocument(value) ? [print(value)] : [];
  }),
);

function isDocument(value: unknown): value is DocumentNode {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === Kind.DOCUMENT;
}

/**
 * Query hardening for every transport (these run inside envelop): depth, alias, token, cost and
 * directive limits (graphql-armor), no field suggestions and no introspection when introspection is
 * off, and optionally only the SDK's own operations.
 */
export function hardeningPlugins(config: Config): Plugin[] {
  // graphql-armor's own errors carry no code: report a coded one instead of propagating theirs.
  const coded = { propagateOnRejection: false, onReject: [codedRejection] };
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: MAX_QUERY_DEPTH, ...coded },
      // graphql-armor lets `__typename` aliases through by default: 300 of them cost as much as any field.
      maxAliases: { n: MAX_QUERY_ALIASES, allowList: [], ...coded },
      maxTokens: { n: MAX_QUERY_TOKENS },
      costLimit: { maxCost: MAX_QUERY_COST, ...coded },
      maxDirectives: { n: MAX_QUERY_DIRECTIVES, ...coded },
      blockFieldSuggestion: { enabled: !config.introspection },
    }),
  ];
  if (!config.introspection) {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
  }
  if (config.knownOperationsOnly) {
    plugins.push({
      onValidate: ({ params, setResult }) => {
        if (!KNOWN_DOCUMENTS.has(print(params.documentAST))) {
          setResult([refusal(ErrorCode.Forbidden, 'only the operations shipped with the Switchboard SDK are accepted here')]);
        }
      },
    });
  }
  return plugins;
}

function codedRejection(context: ValidationContext | null, error: GraphQLError): void {
  const message = error.message.replace(/^Syntax Error: /, '');
  context?.reportError(new GraphQLError(message, { nodes: error.nodes ?? null, extensions: { code: ErrorCode.ValidationFailed } }));
}
