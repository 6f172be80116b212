package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/kaiban-platform/kaiban/services/sdk"
)

// A department system's loop: pull the ready tasks, read the granted
// materials, issue the department's result and approve with it.
func Example_departmentSystem() {
	ctx := context.Background()
	sign, err := sdk.HMACKey(os.Getenv("KAIBAN_API_SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	c, err := sdk.New("https://kaiban.example", sdk.WithAPIKey(os.Getenv("KAIBAN_API_KEY"), sign))
	if err != nil {
		log.Fatal(err)
	}
	password := os.Getenv("KAIBAN_DEPARTMENT_KEY_PASSWORD")
	page, err := c.ListTasks(ctx, sdk.ReadyOnly())
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range page.Items {
		for _, m := range t.Materials {
			if !m.Granted {
				continue
			}
			content, err := c.ReadMaterial(ctx, t.Process, t.Step, m.Asset, password, "审核开办材料")
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println(m.Type, len(content.Content))
		}
		doc, err := c.IssueDocument(ctx, sdk.DocumentRequest{Process: t.Process, Kind: sdk.KindTax, Password: password,
			Results: []sdk.Field{{Key: "taxNo", Label: "纳税人识别号", Value: "91370102MA3C4XYK1W"}}})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := c.Approve(ctx, t.Process, t.Step, "officer-7", "准予登记", password, doc.Asset); err != nil {
			log.Fatal(err)
		}
	}
}

// Errors are RFC 9457 problems: branch with errors.Is, read the details
// with errors.As.
func ExampleProblemError() {
	var err error = &sdk.ProblemError{Operation: "decideTask", Status: 409, Type: "urn:kaiban:problem:state",
		Title: "Not in a state for this", Detail: "step tax of process p1 is approved", RequestID: "4f2a"}
	var pe *sdk.ProblemError
	if errors.Is(err, sdk.ErrState) && errors.As(err, &pe) {
		fmt.Println(pe.Status, pe.RequestID)
	}
	fmt.Println(err)
	// Output:
	// 409 4f2a
	// decideTask: 409 Not in a state for this: step tax of process p1 is approved (request 4f2a)
}
