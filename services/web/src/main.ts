// The portal's entry: i18n, the session, the router, Element Plus's styles.
// Everything the page needs ships with the build; nothing is fetched from
// another origin.
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'element-plus/dist/index.css'
import './styles/main.css'
import App from './App.vue'
import { onUnauthenticated } from './api/client'
import { restAuthApi } from './auth/rest'
import { provideAuthApi, useSession } from './auth/session'
import { createPortalI18n } from './i18n'
import { createPortalRouter } from './router'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(createPortalI18n())
provideAuthApi(restAuthApi)
const router = createPortalRouter()
app.use(router)

// A session the API no longer accepts: back to the login page, then here.
onUnauthenticated(() => {
  const session = useSession(pinia)
  if (!session.signedIn) return
  session.expire()
  const here = router.currentRoute.value
  if (!here.meta.public) void router.replace({ name: 'login', query: { redirect: here.fullPath } })
})

void router.isReady().then(() => app.mount('#app'))
