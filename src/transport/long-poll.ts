import { Kind, type OperationDefinitionNode } from 'graphql';

/** The query field that holds a request open until events come (api/polling.ts). */
const LONG_POLL_FIELD = 'pollSignals';

/**
 * Whether an operation holds a long poll: on a WebSocket it then counts against the same
 * per-connection limit as a subscription while it waits (MAX_SUBSCRIPTIONS_PER_CONNECTION).
 */
export function holdsLongPoll(operation: OperationDefinitionNode | null | undefined): boolean {
  if (operation?.operation !== 'query') return false;
  return operation.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === LONG_POLL_FIELD);
}
