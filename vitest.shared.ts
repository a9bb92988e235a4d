import { defineConfig } from 'vitest/config';

// Shared by every package's vitest.config.ts: run from src through the `@tsformer/source` export condition,
// and keep slow suites (`*.slow.test.ts`) out of the quick loop unless SLOW=1.
const slow = process.env.SLOW === '1';

export default defineConfig({
  resolve: { conditions: ['@tsformer/source'] },
  ssr: { resolve: { conditions: ['@tsformer/source'] } },
  test: {
    include: slow ? ['{src,test}/**/*.slow.test.ts'] : ['{src,test}/**/*.test.ts'],
    exclude: slow ? ['**/node_modules/**'] : ['**/node_modules/**', '**/*.slow.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
