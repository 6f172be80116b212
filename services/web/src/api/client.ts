// The client of the REST API, typed by the contract (schema.gen.ts, from
// api-spec/openapi.yaml). Views call `call(api.GET('/api/v1/...'))`: it
// returns the response's data or throws an ApiError. The browser's session
// cookie authenticates every call; a 401 ends the session in the portal
// (the router shows the login page).
import createClient, { type Client, type Middleware } from 'openapi-fetch'
import { inject, type InjectionKey } from 'vue'
import { ApiError, networkError, retryAfterSeconds, toProblem } from './problem'
import type { paths } from './schema.gen'

export type Api = Client<paths>

type Listener = () => void
const unauthenticated = new Set<Listener>()

/**
 * onUnauthenticated calls listener whenever the API answers 401 to a
 * request made with a session, and returns a function that removes it.
 */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticated.add(listener)
  return () => unauthenticated.delete(listener)
}

/** sessionRefused tells the listeners that the API answered 401. */
export function sessionRefused(): void {
  unauthenticated.forEach((l) => l())
}

const sessionWatch: Middleware = {
  onResponse({ response }) {
    if (response.status === 401) sessionRefused()
  },
}

/** createApi makes a client; tests pass their own fetch. */
export function createApi(fetch?: (input: Request) => Promise<Response>): Api {
  const client = createClient<paths>({
    baseUrl: typeof location === 'undefined' ? 'http://localhost' : location.origin,
    credentials: 'same-origin',
    headers: { Accept: 'application/json, application/problem+json' },
    ...(fetch ? { fetch } : {}),
  })
  client.use(sessionWatch)
  return client
}

/** api is the portal's client. */
export const api: Api = createApi()

/** apiKey provides another client to the pages (tests: one over a fake fetch). */
export const apiKey: InjectionKey<Api> = Symbol('kaiban-api')

/** useApi is the client of the component's app. */
export function useApi(): Api {
  return inject(apiKey, api)
}

interface Result<T> {
  data?: T
  error?: unknown
  response: Response
}

/**
 * call awaits a request of the client and returns its data, or throws an
 * ApiError: the problem the API answered, or a network error (status 0).
 */
export async function call<T>(request: Promise<Result<T>>): Promise<T> {
  let result: Result<T>
  try {
    result = await request
  } catch (e) {
    throw networkError(e)
  }
  const { response } = result
  if (!response.ok) {
    throw new ApiError(
      toProblem(response.status, response.statusText, result.error),
      retryAfterSeconds(response.headers.get('Retry-After')),
    )
  }
  return result.data as T
}
