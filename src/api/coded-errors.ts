import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../protocol';

/**
 * Gives a code to the errors graphql-js raises itself before any resolver runs — a variable that does
 * not coerce (a 64-bit number for an Int, a null for a non-null input) — so that every refusal names
 * its code, on every transport. Errors with a path come from resolvers and are left alone (an
 * uncoded one is internal and yoga masks it).
 */
export function codeErrors(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.map((e) => {
    // graphql-jit's variable errors come without an extensions object at all.
    const extensions: Record<string, unknown> = e.extensions ?? {};
    if (extensions['code'] || e.path) return e;
    return new GraphQLError(e.message, { nodes: e.nodes ?? null, extensions: { ...extensions, code: ErrorCode.BadUserInput } });
  });
}

/** {@link codeErrors} on every operation's result, on every transport. */
export function useCodedErrors(): Plugin {
  // One hook object for every operation: nothing in it depends on the operation.
  const executeHooks = {
    onExecuteDone: ({ result, setResult }: { result: ExecutionResult | AsyncIterable<unknown>; setResult(result: ExecutionResult): void }) => {
      if (Symbol.asyncIterator in result || !result.errors) return;
      setResult({ ...result, errors: codeErrors(result.errors) });
    },
  };
  const subscribeHooks = {
    onSubscribeResult: ({ result, setResult }: { result: ExecutionResult | AsyncIterable<unknown>; setResult(result: ExecutionResult): void }) => {
      if (Symbol.asyncIterator in result || !result.errors) return;
      setResult({ ...result, errors: codeErrors(result.errors) });
    },
  };
  return { onExecute: () => executeHooks, onSubscribe: () => subscribeHooks };
}
