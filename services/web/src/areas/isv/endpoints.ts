// Where integrators connect (A.3): the production and test endpoints the
// operator configured (getApiAccess, `http.endpoints`) and the OpenAPI
// documentation. The portal is served by the API it talks to, so an
// endpoint not configured is the portal's own origin.
import type { components } from '@/api/schema.gen'

type Access = components['schemas']['ApiAccess']

export interface Endpoints {
  production: string
  test: string
  docs: string
}

export function apiEndpoints(given: Partial<Access> = {}, origin = globalThis.location?.origin ?? ''): Endpoints {
  const base = `${origin}/api/v1`
  const docs = given.docs ?? '/docs'
  return {
    production: given.production || base,
    test: given.test || base,
    docs: docs.startsWith('/') ? `${origin}${docs}` : docs,
  }
}
