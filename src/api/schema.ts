import type { GraphQLSchema } from 'graphql';
import { builder } from './builder';
import './sessions';
import './signals';
import './messages';
import './rooms';
import './ice';
import './polling';
import './admin';

/** The whole public contract, built once; printed to schema/schema.graphql by `npm run schema:print`. */
export const schema: GraphQLSchema = builder.toSchema();
