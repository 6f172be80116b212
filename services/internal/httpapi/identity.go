package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
)

// The identity operations (tag identity). Each parses, calls one method of
// identity.Service and converts the result; errors map in problem.go.

func (s *Server) ids() (*identity.Service, error) {
	if s.sec.Identity == nil {
		return nil, errNoIdentity
	}
	return s.sec.Identity, nil
}

func (s *Server) Login(ctx context.Context, r api.LoginRequestObject) (api.LoginResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	c := ginContext(ctx)
	req := identity.LoginRequest{Login: r.Body.Login, Password: deref(r.Body.Password), Code: deref(r.Body.Code)}
	if c != nil {
		req.Source, req.UserAgent = c.ClientIP(), c.Request.UserAgent()
	}
	sess, err := id.Login(ctx, req)
	if err != nil {
		return nil, err
	}
	s.setSessionCookie(c, sess)
	return api.Login201JSONResponse(toSession(sess)), nil
}

func (s *Server) Logout(ctx context.Context, _ api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	c := ginContext(ctx)
	token := ""
	if h := c.GetHeader("Authorization"); h != "" {
		token = h[len("Bearer "):]
	} else {
		token, _ = c.Cookie(SessionCookie)
	}
	if err := id.Logout(ctx, token); err != nil {
		return nil, err
	}
	s.clearSessionCookie(c)
	return api.Logout204Response{}, nil
}

func (s *Server) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	p := Caller(ctx)
	grants, err := id.Permissions(ctx, p)
	if err != nil {
		return nil, err
	}
	perms := make([]api.Permission, 0, len(grants))
	for _, g := range grants {
		perms = append(perms, api.Permission{Resource: g.Resource, Action: g.Action})
	}
	return api.GetMe200JSONResponse{Kind: api.PrincipalKind(p.Kind), Id: p.ID, Name: p.Name, Department: p.Department,
		Roles: nonNil(p.Roles), Permissions: perms, Method: api.PrincipalMethod(p.Method), MustChangePassword: p.MustChangePassword}, nil
}

func (s *Server) ChangePassword(ctx context.Context, r api.ChangePasswordRequestObject) (api.ChangePasswordResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	sess, err := id.ChangePassword(ctx, Caller(ctx), deref(r.Body.CurrentPassword), deref(r.Body.NewPassword))
	if err != nil {
		return nil, err
	}
	s.setSessionCookie(ginContext(ctx), sess)
	return api.ChangePassword200JSONResponse(toSession(sess)), nil
}

func (s *Server) EnrolTotp(ctx context.Context, _ api.EnrolTotpRequestObject) (api.EnrolTotpResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	e, err := id.EnrolTOTP(ctx, Caller(ctx))
	if err != nil {
		return nil, err
	}
	return api.EnrolTotp200JSONResponse{Secret: e.Secret, Url: e.URL}, nil
}

func (s *Server) ConfirmTotp(ctx context.Context, r api.ConfirmTotpRequestObject) (api.ConfirmTotpResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	codes, err := id.ConfirmTOTP(ctx, Caller(ctx), r.Body.Code)
	if err != nil {
		return nil, err
	}
	return api.ConfirmTotp200JSONResponse{RecoveryCodes: codes}, nil
}

func (s *Server) DisableTotp(ctx context.Context, r api.DisableTotpRequestObject) (api.DisableTotpResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.DisableTOTP(ctx, Caller(ctx), deref(r.Body.Password)); err != nil {
		return nil, err
	}
	return api.DisableTotp204Response{}, nil
}

func (s *Server) ListDepartments(ctx context.Context, _ api.ListDepartmentsRequestObject) (api.ListDepartmentsResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	list, err := id.ListDepartments(ctx)
	if err != nil {
		return nil, err
	}
	out := api.ListDepartments200JSONResponse{Items: make([]api.Department, len(list))}
	for i, d := range list {
		out.Items[i] = toDepartment(d)
	}
	return out, nil
}

func (s *Server) CreateDepartment(ctx context.Context, r api.CreateDepartmentRequestObject) (api.CreateDepartmentResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	d := identity.Department{Code: r.Body.Code, Name: r.Body.Name}
	if r.Body.Kind != nil {
		d.Kind = string(*r.Body.Kind)
	}
	d, err = id.CreateDepartment(ctx, Caller(ctx), d)
	if err != nil {
		return nil, err
	}
	return api.CreateDepartment201JSONResponse(toDepartment(d)), nil
}

func (s *Server) UpdateDepartment(ctx context.Context, r api.UpdateDepartmentRequestObject) (api.UpdateDepartmentResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	d, err := id.UpdateDepartment(ctx, Caller(ctx), r.DepartmentCode, identity.DepartmentUpdate{Name: r.Body.Name, Disabled: r.Body.Disabled})
	if err != nil {
		return nil, err
	}
	return api.UpdateDepartment200JSONResponse(toDepartment(d)), nil
}

func (s *Server) ListPositions(ctx context.Context, r api.ListPositionsRequestObject) (api.ListPositionsResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	list, err := id.ListPositions(ctx, deref(r.Params.Department))
	if err != nil {
		return nil, err
	}
	out := api.ListPositions200JSONResponse{Items: make([]api.Position, len(list))}
	for i, p := range list {
		out.Items[i] = toPosition(p)
	}
	return out, nil
}

func (s *Server) CreatePosition(ctx context.Context, r api.CreatePositionRequestObject) (api.CreatePositionResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	p, err := id.CreatePosition(ctx, Caller(ctx), identity.Position{Department: r.Body.Department, Code: r.Body.Code, Name: r.Body.Name})
	if err != nil {
		return nil, err
	}
	return api.CreatePosition201JSONResponse(toPosition(p)), nil
}

func (s *Server) DeletePosition(ctx context.Context, r api.DeletePositionRequestObject) (api.DeletePositionResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.DeletePosition(ctx, Caller(ctx), r.PositionId.String()); err != nil {
		return nil, err
	}
	return api.DeletePosition204Response{}, nil
}

func (s *Server) ListUsers(ctx context.Context, r api.ListUsersRequestObject) (api.ListUsersResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	limit := 50
	if r.Params.Limit != nil {
		limit = *r.Params.Limit
	}
	offset := 0
	if r.Params.Cursor != nil {
		if offset, err = strconv.Atoi(*r.Params.Cursor); err != nil || offset < 0 {
			return nil, badCursor()
		}
	}
	list, err := id.ListUsers(ctx, identity.UserFilter{Department: deref(r.Params.Department), Role: deref(r.Params.Role), Limit: limit + 1, Offset: offset})
	if err != nil {
		return nil, err
	}
	out := api.ListUsers200JSONResponse{Items: []api.User{}}
	for i, u := range list {
		if i == limit {
			next := strconv.Itoa(offset + limit)
			out.Next = &next
			break
		}
		out.Items = append(out.Items, toUser(u))
	}
	return out, nil
}

func badCursor() error {
	return &ValidationError{Fields: []api.FieldError{{In: "query", Field: "cursor", Detail: "not a cursor this list returned"}}}
}

func (s *Server) CreateUser(ctx context.Context, r api.CreateUserRequestObject) (api.CreateUserResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	nu := identity.NewUser{Login: r.Body.Login, Name: r.Body.Name, Department: r.Body.Department, Password: deref(r.Body.Password)}
	if r.Body.Positions != nil {
		nu.Positions = uuidStrings(*r.Body.Positions)
	}
	u, err := id.CreateUser(ctx, Caller(ctx), nu)
	if err != nil {
		return nil, err
	}
	return api.CreateUser201JSONResponse(toUser(u)), nil
}

func (s *Server) GetUser(ctx context.Context, r api.GetUserRequestObject) (api.GetUserResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	u, err := id.GetUser(ctx, r.UserId.String())
	if err != nil {
		return nil, err
	}
	return userResponse(toUser(u)), nil
}

func (s *Server) UpdateUser(ctx context.Context, r api.UpdateUserRequestObject) (api.UpdateUserResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	up := identity.UserUpdate{Name: r.Body.Name, Department: r.Body.Department, Disabled: r.Body.Disabled}
	if r.Body.Positions != nil {
		p := uuidStrings(*r.Body.Positions)
		up.Positions = &p
	}
	u, err := id.UpdateUser(ctx, Caller(ctx), r.UserId.String(), up)
	if err != nil {
		return nil, err
	}
	return api.UpdateUser200JSONResponse(toUser(u)), nil
}

func (s *Server) ResetUserPassword(ctx context.Context, r api.ResetUserPasswordRequestObject) (api.ResetUserPasswordResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.ResetPassword(ctx, Caller(ctx), r.UserId.String(), deref(r.Body.Password)); err != nil {
		return nil, err
	}
	return api.ResetUserPassword204Response{}, nil
}

func (s *Server) UnlockUser(ctx context.Context, r api.UnlockUserRequestObject) (api.UnlockUserResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.UnlockUser(ctx, Caller(ctx), r.UserId.String()); err != nil {
		return nil, err
	}
	return api.UnlockUser204Response{}, nil
}

func (s *Server) ResetUserTotp(ctx context.Context, r api.ResetUserTotpRequestObject) (api.ResetUserTotpResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.ResetTOTP(ctx, Caller(ctx), r.UserId.String()); err != nil {
		return nil, err
	}
	return api.ResetUserTotp204Response{}, nil
}

func (s *Server) RevokeUserSessions(ctx context.Context, r api.RevokeUserSessionsRequestObject) (api.RevokeUserSessionsResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.RevokeSessions(ctx, Caller(ctx), r.UserId.String()); err != nil {
		return nil, err
	}
	return api.RevokeUserSessions204Response{}, nil
}

func (s *Server) AssignRole(ctx context.Context, r api.AssignRoleRequestObject) (api.AssignRoleResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.AssignRole(ctx, Caller(ctx), r.UserId.String(), r.RoleName); err != nil {
		return nil, err
	}
	return api.AssignRole204Response{}, nil
}

func (s *Server) RevokeRole(ctx context.Context, r api.RevokeRoleRequestObject) (api.RevokeRoleResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.RevokeRole(ctx, Caller(ctx), r.UserId.String(), r.RoleName); err != nil {
		return nil, err
	}
	return api.RevokeRole204Response{}, nil
}

func (s *Server) ListRoles(ctx context.Context, _ api.ListRolesRequestObject) (api.ListRolesResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	list, err := id.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	out := api.ListRoles200JSONResponse{Items: make([]api.Role, len(list))}
	for i, r := range list {
		out.Items[i] = toRole(r)
	}
	return out, nil
}

func (s *Server) CreateRole(ctx context.Context, r api.CreateRoleRequestObject) (api.CreateRoleResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	role := identity.Role{Name: r.Body.Name, Title: r.Body.Title}
	if r.Body.Permissions != nil {
		role.Permissions = fromPermissions(*r.Body.Permissions)
	}
	role, err = id.CreateRole(ctx, Caller(ctx), role)
	if err != nil {
		return nil, err
	}
	return api.CreateRole201JSONResponse(toRole(role)), nil
}

func (s *Server) DeleteRole(ctx context.Context, r api.DeleteRoleRequestObject) (api.DeleteRoleResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.DeleteRole(ctx, Caller(ctx), r.RoleName); err != nil {
		return nil, err
	}
	return api.DeleteRole204Response{}, nil
}

func (s *Server) SetRolePermissions(ctx context.Context, r api.SetRolePermissionsRequestObject) (api.SetRolePermissionsResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	role, err := id.SetRolePermissions(ctx, Caller(ctx), r.RoleName, fromPermissions(r.Body.Permissions))
	if err != nil {
		return nil, err
	}
	return api.SetRolePermissions200JSONResponse(toRole(role)), nil
}

// GetApiAccess tells integrators where to connect: the configured
// endpoints and the documentation this server renders at /docs.
func (s *Server) GetApiAccess(ctx context.Context, _ api.GetApiAccessRequestObject) (api.GetApiAccessResponseObject, error) {
	out := api.GetApiAccess200JSONResponse{Docs: "/docs"}
	if e := s.sec.Endpoints; e.Production != "" {
		out.Production = &e.Production
	}
	if e := s.sec.Endpoints; e.Test != "" {
		out.Test = &e.Test
	}
	return out, nil
}

func (s *Server) ListApiClients(ctx context.Context, r api.ListApiClientsRequestObject) (api.ListApiClientsResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	status := ""
	if r.Params.Status != nil {
		status = string(*r.Params.Status)
	}
	list, err := id.ListClients(ctx, status)
	if err != nil {
		return nil, err
	}
	out := api.ListApiClients200JSONResponse{Items: make([]api.ApiClient, len(list))}
	for i, c := range list {
		out.Items[i] = toClient(c)
	}
	return out, nil
}

func (s *Server) ApplyApiClient(ctx context.Context, r api.ApplyApiClientRequestObject) (api.ApplyApiClientResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	c, err := id.ApplyClient(ctx, Caller(ctx), identity.ClientApplication{Name: r.Body.Name, Department: r.Body.Department,
		Vendor: deref(r.Body.Vendor), Purpose: r.Body.Purpose})
	if err != nil {
		return nil, err
	}
	return api.ApplyApiClient201JSONResponse(toClient(c)), nil
}

func (s *Server) GetApiClient(ctx context.Context, r api.GetApiClientRequestObject) (api.GetApiClientResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	c, err := id.GetClient(ctx, r.ClientId.String())
	if err != nil {
		return nil, err
	}
	return api.GetApiClient200JSONResponse(toClient(c)), nil
}

func (s *Server) ReviewApiClient(ctx context.Context, r api.ReviewApiClientRequestObject) (api.ReviewApiClientResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	rev := identity.Review{Approve: r.Body.Approve, Note: deref(r.Body.Note)}
	if r.Body.Roles != nil {
		rev.Roles = *r.Body.Roles
	}
	c, err := id.ReviewClient(ctx, Caller(ctx), r.ClientId.String(), rev)
	if err != nil {
		return nil, err
	}
	return api.ReviewApiClient200JSONResponse(toClient(c)), nil
}

func (s *Server) IssueApiCredential(ctx context.Context, r api.IssueApiCredentialRequestObject) (api.IssueApiCredentialResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	clientID := r.ClientId.String()
	var issued identity.IssuedCredential
	switch r.Body.Kind {
	case api.ApiCredentialKindMtls:
		if r.Body.PublicKey != nil || r.Body.NotAfter != nil {
			return nil, &identity.InvalidError{Field: "kind", Reason: "an mtls credential takes only a certificate"}
		}
		cred, err := id.RegisterCertificate(ctx, Caller(ctx), clientID, deref(r.Body.Certificate))
		if err != nil {
			return nil, err
		}
		issued = identity.IssuedCredential{Credential: cred, ClientID: clientID}
	default:
		if r.Body.Certificate != nil {
			return nil, &identity.InvalidError{Field: "certificate", Reason: "only for kind mtls"}
		}
		var notAfter time.Time
		if r.Body.NotAfter != nil {
			notAfter = *r.Body.NotAfter
		}
		issued, err = id.IssueAPIKey(ctx, Caller(ctx), clientID, string(r.Body.Kind), deref(r.Body.PublicKey), notAfter)
		if err != nil {
			return nil, err
		}
	}
	out := api.IssueApiCredential201JSONResponse{ClientId: r.ClientId, Credential: toCredential(issued.Credential)}
	if issued.Secret != "" {
		out.Secret = &issued.Secret
	}
	return out, nil
}

func (s *Server) RevokeApiCredential(ctx context.Context, r api.RevokeApiCredentialRequestObject) (api.RevokeApiCredentialResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.RevokeCredential(ctx, Caller(ctx), r.ClientId.String(), r.CredentialId); err != nil {
		return nil, err
	}
	return api.RevokeApiCredential204Response{}, nil
}

func (s *Server) RevokeApiClient(ctx context.Context, r api.RevokeApiClientRequestObject) (api.RevokeApiClientResponseObject, error) {
	id, err := s.ids()
	if err != nil {
		return nil, err
	}
	if err := id.RevokeClient(ctx, Caller(ctx), r.ClientId.String(), deref(r.Body.Note)); err != nil {
		return nil, err
	}
	return api.RevokeApiClient204Response{}, nil
}

// Session cookies: HttpOnly (no script reads the token), SameSite=Strict (no
// other site's page sends it, which is the CSRF defence), Secure where
// configured, and expiring with the session's absolute timeout.
func (s *Server) setSessionCookie(c *gin.Context, sess identity.Session) {
	if c == nil {
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		MaxAge: max(int(time.Until(sess.ExpiresAt)/time.Second), 1), HttpOnly: true, Secure: s.sec.CookieSecure, SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.sec.CookieSecure, SameSite: http.SameSiteStrictMode})
}

func ginContext(ctx context.Context) *gin.Context {
	c, _ := ctx.(*gin.Context)
	return c
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func uuidStrings(v []uuid.UUID) []string {
	out := make([]string, len(v))
	for i, u := range v {
		out[i] = u.String()
	}
	return out
}

func parseUUID(s string) uuid.UUID {
	u, _ := uuid.Parse(s) // IDs come from the database, always UUIDs
	return u
}

func toSession(s identity.Session) api.Session {
	return api.Session{Token: s.Token, UserId: parseUUID(s.UserID), ExpiresAt: s.ExpiresAt, IdleTimeoutSeconds: s.IdleTimeout,
		MustChangePassword: s.MustChangePassword}
}

func toDepartment(d identity.Department) api.Department {
	return api.Department{Code: d.Code, Name: d.Name, Kind: api.DepartmentKind(d.Kind), Disabled: d.Disabled, CreatedAt: d.CreatedAt}
}

func toPosition(p identity.Position) api.Position {
	return api.Position{Id: parseUUID(p.ID), Department: p.Department, Code: p.Code, Name: p.Name, CreatedAt: p.CreatedAt}
}

func toUser(u identity.User) api.User {
	out := api.User{Id: parseUUID(u.ID), Login: u.Login, Name: u.Name, Department: u.Department, Roles: nonNil(u.Roles),
		Positions: make([]uuid.UUID, len(u.Positions)), Disabled: u.Disabled, MustChangePassword: u.MustChangePassword,
		TotpEnabled: u.TOTPEnabled, LockedUntil: u.LockedUntil, CreatedAt: u.CreatedAt}
	for i, p := range u.Positions {
		out.Positions[i] = parseUUID(p)
	}
	return out
}

func toRole(r identity.Role) api.Role {
	out := api.Role{Name: r.Name, Title: r.Title, Builtin: r.Builtin, Permissions: make([]api.Permission, len(r.Permissions))}
	if r.AdminKind != "" {
		k := api.RoleAdminKind(r.AdminKind)
		out.AdminKind = &k
	}
	for i, p := range r.Permissions {
		out.Permissions[i] = api.Permission{Resource: p.Resource, Action: p.Action}
	}
	return out
}

func fromPermissions(v []api.Permission) []identity.Permission {
	out := make([]identity.Permission, len(v))
	for i, p := range v {
		out[i] = identity.Perm(p.Resource, p.Action)
	}
	return out
}

func toCredential(c identity.Credential) api.ApiCredential {
	out := api.ApiCredential{Id: c.ID, Kind: api.ApiCredentialKind(c.Kind), NotAfter: c.NotAfter, CreatedAt: c.CreatedAt, RevokedAt: c.RevokedAt}
	if c.Fingerprint != "" {
		out.Fingerprint = &c.Fingerprint
	}
	return out
}

func toClient(c identity.Client) api.ApiClient {
	out := api.ApiClient{Id: parseUUID(c.ID), Name: c.Name, Department: c.Department, Vendor: c.Vendor, Purpose: c.Purpose,
		Status: api.ApiClientStatus(c.Status), Roles: nonNil(c.Roles), AppliedAt: c.AppliedAt, ReviewedAt: c.ReviewedAt,
		ReviewNote: c.ReviewNote, Credentials: make([]api.ApiCredential, len(c.Credentials))}
	if c.AppliedBy != nil {
		u := parseUUID(*c.AppliedBy)
		out.AppliedBy = &u
	}
	if c.ReviewedBy != nil {
		u := parseUUID(*c.ReviewedBy)
		out.ReviewedBy = &u
	}
	for i, cr := range c.Credentials {
		out.Credentials[i] = toCredential(cr)
	}
	return out
}
