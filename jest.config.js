/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // The SDK is the workspace package @switchboard/client; tests run its sources, not its build.
  moduleNameMapper: {
    '^@switchboard/client$': '<rootDir>/client/index.ts',
    '^@switchboard/client/wire$': '<rootDir>/client/wire.ts',
  },
  testTimeout: 30000,
  // Suites close what they open in afterAll; should one fail to (a teardown that threw), the run still
  // ends when the tests do instead of hanging CI on a stray listener.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
