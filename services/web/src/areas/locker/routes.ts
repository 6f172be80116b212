// The locker area (数字保险箱, DB37/T 4431-2021 7.6.2, 7.4.4, A.5): the
// holder's locker — assets by type, content viewed with a reason and the
// access history, grants, codes, self-upload, access requests, its holders — the
// messages of 7.4.4 e, and the page where a department or institution reads
// what was granted to it.
import { Box, ChatDotRound, Files, Key, Share, Upload, User } from '@element-plus/icons-vue'
import { operationPermissions as ops } from '@/api/permissions.gen'
import { defineArea } from '../area'

export default defineArea({
  groups: { 'locker.nav': { icon: Box, order: 20 } },
  routes: [
    {
      path: 'locker',
      name: 'locker-assets',
      component: () => import('./LockerAssetsView.vue'),
      meta: { title: 'locker.assets', permission: ops.listLockerAssets, menu: { icon: Files, group: 'locker.nav', order: 10 } },
    },
    {
      path: 'locker/assets/:assetId',
      name: 'locker-asset',
      component: () => import('./LockerAssetView.vue'),
      props: true,
      meta: { title: 'locker.asset', permission: ops.listLockerAccessRecords },
    },
    {
      path: 'locker/uploads',
      name: 'locker-uploads',
      component: () => import('./LockerUploadView.vue'),
      meta: { title: 'locker.uploads', permission: ops.uploadToLocker, menu: { icon: Upload, group: 'locker.nav', order: 20 } },
    },
    {
      path: 'locker/requests',
      name: 'locker-requests',
      component: () => import('./LockerRequestsView.vue'),
      meta: { title: 'locker.requests', permission: ops.listLockerRequests, menu: { icon: Key, group: 'locker.nav', order: 30 } },
    },
    {
      path: 'locker/messages',
      name: 'locker-messages',
      component: () => import('./MessagesView.vue'),
      meta: { title: 'locker.messages', permission: ops.listMessages, menu: { icon: ChatDotRound, group: 'locker.nav', order: 40 } },
    },
    {
      path: 'locker/holders',
      name: 'locker-holders',
      component: () => import('./LockerHoldersView.vue'),
      meta: { title: 'locker.holders.title', permission: ops.listLockerHolders, menu: { icon: User, group: 'locker.nav', order: 45 } },
    },
    {
      path: 'locker/granted',
      name: 'locker-granted',
      component: () => import('./GrantedToMeView.vue'),
      meta: { title: 'locker.granted', permission: ops.listLockerGrantsReceived, menu: { icon: Share, group: 'locker.nav', order: 50 } },
    },
  ],
})

