// Area `alliance` (7.4.2 a, c, g; 7.4.3 e; 7.6.5): the system administrator
// runs the consortium chain — members (admission, review, operation
// permissions, suspension), nodes, the smart-contract registry (business
// definition, review by another administrator, test channel then
// production, versions, abolition), the asset types defined on chain, and
// the platform's configuration and component versions. Supervisors and
// regulators read.
import { Cpu, Document, Files, Link, Setting, User } from '@element-plus/icons-vue'
import { operationPermissions as ops } from '@/api/permissions.gen'
import { defineArea } from '../area'

export default defineArea({
  groups: { 'alliance.menu': { icon: Link, order: 85 } },
  routes: [
    {
      path: 'alliance/members',
      name: 'alliance-members',
      component: () => import('./MembersView.vue'),
      meta: { title: 'alliance.members.title', permission: ops.listAllianceMembers, menu: { icon: User, group: 'alliance.menu', order: 10 } },
    },
    {
      path: 'alliance/nodes',
      name: 'alliance-nodes',
      component: () => import('./NodesView.vue'),
      meta: { title: 'alliance.nodes.title', permission: ops.listAllianceNodes, menu: { icon: Cpu, group: 'alliance.menu', order: 20 } },
    },
    {
      path: 'alliance/contracts',
      name: 'alliance-contracts',
      component: () => import('./ContractsView.vue'),
      meta: { title: 'alliance.contracts.title', permission: ops.listAllianceContracts, menu: { icon: Document, group: 'alliance.menu', order: 30 } },
    },
    {
      path: 'alliance/asset-types',
      name: 'alliance-asset-types',
      component: () => import('./AssetTypesView.vue'),
      meta: { title: 'alliance.types.title', permission: ops.listAllianceAssetTypes, menu: { icon: Files, group: 'alliance.menu', order: 40 } },
    },
    {
      path: 'alliance/ops',
      name: 'alliance-ops',
      component: () => import('./OpsView.vue'),
      meta: { title: 'alliance.ops.title', permission: ops.getAllianceConfiguration, menu: { icon: Setting, group: 'alliance.menu', order: 50 } },
    },
  ],
})
