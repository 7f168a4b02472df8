import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: process.env.WEFT_JSON_REPORT
      ? ['default', ['json', { outputFile: process.env.WEFT_JSON_REPORT }]]
      : ['default'],
  },
})
