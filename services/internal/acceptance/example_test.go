package acceptance_test

import (
	"fmt"

	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
)

// The check characters of GB 11643-1999 and GB 32100-2015.
func Example_checkCharacters() {
	c, _ := acceptance.ResidentCheckChar("11010519491231002")
	fmt.Printf("%c %v\n", c, acceptance.ValidResidentID("11010519491231002X"))
	u, _ := acceptance.USCCCheckChar("91350100M000100Y4")
	fmt.Printf("%c %v %v\n", u, acceptance.ValidUSCC("91350100M000100Y43"), acceptance.ValidUSCC("91350100M000100Y4Q"))
	// Output:
	// X true
	// 3 true false
}

// A form's problems, each at its field.
func ExampleForm_Validate() {
	f := acceptance.Form{Applicant: "x", Name: "明湖信息技术有限公司", EnterpriseType: acceptance.TypeLLC}
	err := f.Validate()
	fmt.Println(err != nil)
	// Output: true
}
