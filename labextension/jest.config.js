/** Jest runs the pure modules (formatting, the polling model) under Node through ts-jest. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testRegex: '\\.spec\\.ts$',
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  collectCoverageFrom: ['src/format.ts', 'src/model.ts', 'src/apiError.ts', 'src/autosaveText.ts'],
  testTimeout: 10000
};
