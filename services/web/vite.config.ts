// Build and unit-test configuration of the portal. The build goes into the
// Go package that embeds it (services/internal/portal/dist); `npm run dev`
// serves the sources with hot reload and sends API calls to a `kaiban dev`
// on KAIBAN_URL (default http://localhost:8080).
import { writeFileSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vitest/config'

const outDir = fileURLToPath(new URL('../internal/portal/dist', import.meta.url))
const kaiban = process.env.KAIBAN_URL ?? 'http://localhost:8080'

// The build empties outDir, the placeholder that lets go:embed compile
// without a build included; put it back.
function keepEmbedPlaceholder(): Plugin {
  return {
    name: 'kaiban-keep-embed-placeholder',
    apply: 'build',
    closeBundle() {
      writeFileSync(`${outDir}/.gitkeep`, '')
    },
  }
}

export default defineConfig({
  plugins: [vue(), keepEmbedPlaceholder()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  define: {
    __VUE_OPTIONS_API__: 'true',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'true',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir,
    emptyOutDir: true,
    // Element Plus alone is ~1 MB before compression; the warning would
    // fire on every build without telling anything new.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: Object.fromEntries(
      ['/api', '/api-spec', '/docs', '/healthz', '/readyz', '/metrics'].map((p) => [p, kaiban]),
    ),
  },
  test: {
    // Component tests say `@vitest-environment jsdom`; the rest run in plain Node.
    environment: 'node',
    include: ['tests/unit/**/*.spec.ts'],
    setupFiles: ['tests/unit/setup.ts'],
  },
})
