import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    // real servers (Cassandra JVM, emulator, python driver) share 2 cores: be generous
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
