import type { Plugin } from 'graphql-yoga';
import type { GraphQLError } from 'graphql';
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
  return {
    onValidate: () => ({ result }) => {
      if (result.length > 0) metrics.rejected.inc({ code: 'GRAPHQL_VALIDATION_FAILED' });
    },
    onExecute: () => ({
      onExecuteDone: ({ result }) => {
        if (!(Symbol.asyncIterator in result)) countRejections(metrics, result.errors);
      },
    }),
    onSubscribe: () => ({
      onSubscribeResult: ({ result }) => {
        if (!(Symbol.asyncIterator in result)) countRejections(metrics, result.errors);
      },
      onSubscribeError: ({ error }) => {
        countRejections(metrics, [error as GraphQLError]);
      },
    }),
  };
}
