// The verdict of a document verification, as the public page words it.
import type { components } from '@/api/schema.gen'

type Verification = components['schemas']['DocumentVerification']

/**
 * valid: authentic and available on chain. revoked: authentic, but the
 * chain says it was revoked or abolished (or is otherwise not available).
 * tampered: the chain has the asset, but the file or payload does not match
 * its issuer's signature or digest. unknown: nothing issued matches (for a
 * PDF this is also what a changed byte gives, as its digest then names no
 * issued document).
 */
export type Verdict = 'valid' | 'revoked' | 'tampered' | 'unknown'

export function verdictOf(v: Verification): Verdict {
  if (v.valid) return 'valid'
  if (v.authentic) return 'revoked'
  if (v.status) return 'tampered'
  return 'unknown'
}
