import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the SDK (client preset) and typed urql hooks for React apps, both from the
 * printed contract. Output is checked in; `npm run codegen:check` fails when it drifts.
 */
const scalars = { DateTime: 'string' };

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['client/documents/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'client/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { scalars, strictScalars: true, useTypeImports: true, enumsAsTypes: true, nonOptionalTypename: false },
    },
    'client/generated/urql.ts': {
      plugins: ['typescript-operations', 'typescript-urql'],
      config: {
        scalars,
        strictScalars: true,
        useTypeImports: true,
        enumsAsTypes: true,
        withHooks: true,
        urqlImportFrom: 'urql',
        documentMode: 'documentNode',
      },
    },
  },
};

export default config;
