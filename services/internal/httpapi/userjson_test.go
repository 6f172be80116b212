package httpapi

import (
	"bytes"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// TestUserResponse_AsGenerated: the hand-encoded GetUser response is
// byte for byte what the generated one writes — for users whose strings,
// times and lists have something to get wrong, and for a user whose every
// field is set (by reflection, so that a field the contract adds to User
// fails here until appendUserJSON writes it).
func TestUserResponse_AsGenerated(t *testing.T) {
	var ascii strings.Builder
	for c := range 128 {
		ascii.WriteByte(byte(c))
	}
	cst := time.FixedZone("CST", 8*3600)
	locked := time.Date(2026, 11, 25, 9, 30, 0, 120000000, cst)
	users := []api.User{
		{},
		{CreatedAt: time.Date(2026, 11, 25, 1, 2, 3, 456789000, time.UTC), Department: "dept-1", Disabled: true,
			Id: uuid.MustParse("0192f3a1-c2d4-7111-8222-333344445555"), LockedUntil: &locked, Login: "alice",
			MustChangePassword: true, Name: "王*", Positions: []uuid.UUID{}, Roles: []string{}, TotpEnabled: true},
		{CreatedAt: time.Date(1999, 1, 2, 3, 4, 5, 0, cst), Name: ascii.String(), Login: "bad\xff\xfeutf8\u2028\u2029<a&b>",
			Department: "部门\x00\x1f\x7f", Positions: []uuid.UUID{uuid.New(), uuid.New()}, Roles: []string{"sysadmin", `"q"\`}},
		filledUser(t),
	}
	for i, u := range users {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		if err := api.GetUser200JSONResponse(u).VisitGetUserResponse(want); err != nil {
			t.Fatal(err)
		}
		if err := userResponse(u).VisitGetUserResponse(got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Errorf("user %d:\n got %s\nwant %s", i, got.Body, want.Body)
		}
		if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) {
			t.Errorf("user %d: %d %v, want %d %v", i, got.Code, got.Header(), want.Code, want.Header())
		}
	}
}

// filledUser is an api.User with every field set to something other than
// its zero value.
func filledUser(t *testing.T) api.User {
	var u api.User
	v := reflect.ValueOf(&u).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch x := f.Addr().Interface().(type) {
		case *string:
			*x = "field-" + v.Type().Field(i).Name
		case *bool:
			*x = true
		case *time.Time:
			*x = time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC)
		case **time.Time:
			tm := time.Date(2027, 2, 3, 4, 5, 6, 0, time.UTC)
			*x = &tm
		case *uuid.UUID:
			*x = uuid.New()
		case *[]uuid.UUID:
			*x = []uuid.UUID{uuid.New()}
		case *[]string:
			*x = []string{"r1", "r2"}
		default:
			t.Fatalf("api.User.%s is a %s, which filledUser (and appendUserJSON?) do not know", v.Type().Field(i).Name, f.Type())
		}
	}
	return u
}
