import SchemaBuilder from '@pothos/core';
import { Kind } from 'graphql';
import type { PeerInfo } from '../events';
import { refusal } from '../errors';
import { ErrorCode } from '../protocol';
import type { GatewayContext } from './context';

/** The one Pothos builder; every `api/*.ts` file adds its domain's types and fields to it. */
export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
  };
}>({ defaultFieldNullability: false });

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO-8601 string in UTC.',
  serialize: (value) => value.toISOString(),
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw refusal(ErrorCode.BadUserInput, 'DateTime must be an ISO-8601 string');
    return parseDate(ast.value);
  },
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw refusal(ErrorCode.BadUserInput, 'DateTime must be an ISO-8601 string');
  return date;
}

export const PeerRef = builder.objectRef<PeerInfo>('Peer').implement({
  description: 'A peer in a room.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { nullable: true }),
  }),
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
