package identity_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/identity"
)

// A department system signs each request with the API key it was issued:
// the four X-Kaiban headers carry the key ID, the time, a fresh nonce and
// the HMAC-SM3 (or SM2) signature over method, path, query, time, nonce and
// the SM3 of the body.
func ExampleSignRequest() {
	secret := []byte("the 32-byte secret issued once..") // IssueAPIKey's Secret, base64-decoded
	body := []byte(`{"decision":"approve"}`)
	req, _ := http.NewRequest("POST", "https://kaiban.example/api/v1/tasks/42/decision", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if err := identity.SignRequest(req, body, "kbk_0123456789abcdef0123456789abcdef", identity.HMACSigner(secret), time.Now()); err != nil {
		panic(err)
	}
	for _, h := range []string{identity.HeaderKey, identity.HeaderTimestamp, identity.HeaderNonce, identity.HeaderSignature} {
		fmt.Println(h, req.Header.Get(h) != "")
	}
	// Output:
	// X-Kaiban-Key-ID true
	// X-Kaiban-Date true
	// X-Kaiban-Nonce true
	// X-Kaiban-Signature true
}

// The password policy names the rule a password breaks.
func ExampleCheckPasswordPolicy() {
	fmt.Println(identity.CheckPasswordPolicy("wang", "Spring-Festival-2026"))
	fmt.Println(identity.CheckPasswordPolicy("wang", "short-1A"))
	fmt.Println(identity.CheckPasswordPolicy("wang", "wang-Festival-2026"))
	// Output:
	// <nil>
	// password: must have at least 12 characters
	// password: must not contain the login name
}
