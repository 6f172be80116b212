// Area `process` (7.6.3, 7.5 c/d): the item list and the process
// definitions of each item, for whoever may edit the registry
// (registry:write — the system administrator).
import { Connection, List } from '@element-plus/icons-vue'
import { operationPermissions as ops } from '@/api/permissions.gen'
import { defineArea } from '../area'

export default defineArea({
  groups: { 'process.menu': { icon: Connection, order: 70 } },
  routes: [
    {
      path: 'process/items',
      name: 'process-items',
      component: () => import('./ItemsView.vue'),
      meta: { title: 'process.items.title', permission: ops.putItem, menu: { icon: List, group: 'process.menu', order: 10 } },
    },
    {
      path: 'process/items/:code',
      name: 'process-definitions',
      component: () => import('./DefinitionsView.vue'),
      meta: { title: 'process.definitions.title', permission: ops.createDefinition },
    },
  ],
})
