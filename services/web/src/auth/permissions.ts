// Permissions as the identity service grants them: an action on a resource
// ("identity.users:read"), held through roles, with "*" standing for any
// resource or any action. The portal uses them to show only the menus and
// buttons a user may use; the API checks them again on every call.

export interface Permission {
  resource: string
  action: string
}

/** parsePermission reads "resource:action"; the action is after the last colon. */
export function parsePermission(s: string): Permission {
  const i = s.lastIndexOf(':')
  return i < 0 ? { resource: s, action: '*' } : { resource: s.slice(0, i), action: s.slice(i + 1) }
}

/** allows reports whether holding `granted` permits `wanted` ("r:a"). */
export function allows(granted: readonly Permission[], wanted: string): boolean {
  const w = parsePermission(wanted)
  return granted.some(
    (g) => (g.resource === '*' || g.resource === w.resource) && (g.action === '*' || g.action === w.action),
  )
}
