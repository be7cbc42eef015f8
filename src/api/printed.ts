import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './schema';

/** The SDL committed as schema/schema.graphql, sorted so that diffs show real changes only. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
