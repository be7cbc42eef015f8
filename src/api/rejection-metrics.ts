import type { Plugin } from 'graphql-yoga';
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Metrics } from '../metrics';

const UNCODED = 'INTERNAL';

/** Counts refused operations by error code (uncoded ones as INTERNAL). */
export function countRejections(metrics: Metrics, errors: readonly GraphQLError[] | undefined): void {
  for (const error of errors ?? []) {
    const code = error.extensions?.['code'];
    metrics.rejected.inc({ code: typeof code === 'string' ? code : UNCODED });
  }
}

/** Counts every refused operation by its error code, on every transport (it runs inside envelop). */
export function useRejectionMetrics(metrics: Metrics): Plugin {
  // One hook object per kind for every operation: nothing in them depends on the operation.
  const validateDone = ({ result }: { result: readonly Error[] }): void => {
    if (result.length > 0) metrics.rejected.inc({ code: 'GRAPHQL_VALIDATION_FAILED' });
  };
  const executeHooks = {
    onExecuteDone: ({ result }: { result: ExecutionResult | AsyncIterable<unknown> }) => {
      if (!(Symbol.asyncIterator in result)) countRejections(metrics, result.errors);
    },
  };
  const subscribeHooks = {
    onSubscribeResult: ({ result }: { result: ExecutionResult | AsyncIterable<unknown> }) => {
      if (!(Symbol.asyncIterator in result)) countRejections(metrics, result.errors);
    },
    onSubscribeError: ({ error }: { error: unknown }) => {
      countRejections(metrics, [error as GraphQLError]);
    },
  };
  return { onValidate: () => validateDone, onExecute: () => executeHooks, onSubscribe: () => subscribeHooks };
}
