// Package sdk is the Go SDK for department systems (部门业务办理系统,
// DB37/T 4431-2021 7.7): a department's own system — the market regulator's
// licence system, the public-security seal system, the social-security,
// medical-insurance, housing-fund, bank and tax systems — connects to Kaiban
// over its REST API (api-spec/openapi.yaml) to pull its tasks, read the
// materials granted to it, approve or reject each step with an opinion, and
// issue its results into the applicant's digital locker.
//
// A department system authenticates as an API client of Kaiban's identity
// service, with a signed API key (WithAPIKey: HMAC-SM3 or SM2 over each
// request) or a TLS client certificate (WithTLSConfig). Errors the API
// answers with are *ProblemError values (RFC 9457 problem details); branch on
// them with errors.Is against ErrNotFound, ErrConflict and the other
// sentinels, or errors.As for the details.
//
// The SDK depends only on the standard library and the chaincode model (for
// the canonical step decision a system signs itself).
package sdk
