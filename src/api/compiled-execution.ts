import {
  type DocumentNode,
  type ExecutionArgs,
  type FragmentDefinitionNode,
  getOperationAST,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { compileQuery, type CompiledQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/** How one operation of a document runs when graphql-jit can run it. */
interface Compiled {
  execute(args: ExecutionArgs): ReturnType<CompiledQuery['query']>;
  /** The operation's selection on a given root value: for a subscription, one event's result. */
  event: CompiledQuery['query'];
  subscribe: ((args: ExecutionArgs) => ReturnType<NonNullable<CompiledQuery['subscribe']>>) | null;
}

/** Operations of one document, by operation name ('' for the only one); null where graphql-js runs it. */
type ByOperation = Map<string, Compiled | null>;

/**
 * Runs every operation with graphql-jit, compiled once per document and operation, on every transport:
 * it is one envelop plugin among yoga's, so the plugins around it (error masking, codes, metrics, armor)
 * wrap the compiled code as they wrap graphql-js. The compilation lives as long as the document object,
 * which yoga's parse cache (and the WebSocket document cache, which parses through yoga) keep per text,
 * bounded.
 *
 * graphql-jit cannot run every valid document; those run on graphql-js instead of failing:
 * - documents it refuses to compile;
 * - subscriptions whose root field is aliased: its subscribe looks the field's resolve info up under
 *   the field's name while it stored it under the alias (`resolveInfos[...] is not a function`).
 */
export function useCompiledExecution(): Plugin {
  return {
    onExecute({ args, setExecuteFn }) {
      const entry = compiled(args);
      if (entry) setExecuteFn(entry.execute);
    },
    onSubscribe({ args, setSubscribeFn }) {
      const entry = compiled(args);
      if (entry?.subscribe) setSubscribeFn(entry.subscribe);
    },
  };
}

/** One cache for every gateway of the process: a compilation depends only on the schema and the document. */
const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, ByOperation>>();

function compiled(args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName'>): Compiled | null {
  let byDocument = bySchema.get(args.schema);
  if (!byDocument) bySchema.set(args.schema, (byDocument = new WeakMap()));
  let operations = byDocument.get(args.document);
  if (!operations) byDocument.set(args.document, (operations = new Map()));
  const key = args.operationName ?? '';
  let entry = operations.get(key);
  if (entry === undefined) {
    entry = compile(args);
    operations.set(key, entry);
  }
  return entry;
}

/**
 * The compiled selection of a subscription, run on one event (what graphql-jit's subscribe runs for
 * each event of the stream), or null where graphql-js runs the operation. For work shared by the
 * subscribers of one selection (transport/shared-presence.ts); the same compilation as the plugin's.
 */
export function compiledEventSelection(args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName'>): CompiledQuery['query'] | null {
  const entry = compiled(args);
  return entry?.subscribe ? entry.event : null;
}

function compile({ schema, document, operationName }: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName'>): Compiled | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  if (operation.operation === 'subscription' && aliasesRootField(document, operation.selectionSet)) return null;
  const result = compileQuery(schema, document, operationName ?? undefined);
  if (!isCompiledQuery(result)) return null;
  const { query, subscribe } = result;
  return {
    event: query,
    execute: (args) => query(args.rootValue, args.contextValue, args.variableValues),
    subscribe: subscribe ? (args) => subscribe(args.rootValue, args.contextValue, args.variableValues) : null,
  };
}

/** Whether a field of this root selection (through fragments) answers under an alias other than its name. */
function aliasesRootField(document: DocumentNode, selectionSet: SelectionSetNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode): boolean =>
    set.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.alias !== undefined && selection.alias.value !== selection.name.value;
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) return false;
      seen.add(name);
      return visit(fragment.selectionSet);
    });
  return visit(selectionSet);
}
