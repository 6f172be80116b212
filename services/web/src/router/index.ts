// The router: pages need a session unless they are public; the title of
// the page follows the language.
import { createRouter, createWebHistory, type Router } from 'vue-router'
import { useSession } from '@/auth/session'
import { routes } from './routes'

export function createPortalRouter(history = createWebHistory()): Router {
  const router = createRouter({ history, routes })
  router.beforeEach(async (to) => {
    if (to.meta.public) return true
    const session = useSession()
    try {
      await session.ensureLoaded()
    } catch {
      // The API is unreachable: the login page says so when it is used.
      return { name: 'login', query: { redirect: to.fullPath } }
    }
    if (!session.signedIn) return { name: 'login', query: { redirect: to.fullPath } }
    // Until the password is changed the API allows nothing else.
    if (session.me?.mustChangePassword && to.name !== 'password') {
      return { name: 'password', query: { redirect: to.fullPath } }
    }
    return true
  })
  return router
}

/** safeRedirect keeps a post-login redirect inside the portal. */
export function safeRedirect(v: unknown): string {
  return typeof v === 'string' && v.startsWith('/') && !v.startsWith('//') ? v : '/'
}
