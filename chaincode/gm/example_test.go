package gm_test

import (
	"fmt"
	"log"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// Example shows the envelope used for documents: content sealed with a fresh
// SM4 data key, the data key encrypted to the recipient's SM2 public key.
func Example() {
	recipient, err := gm.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	assetID := []byte("asset/91370100MA3C000000/articles")

	// Sender.
	dataKey, err := gm.NewDataKey()
	if err != nil {
		log.Fatal(err)
	}
	sealed, err := gm.SealGCM(dataKey, []byte("articles of association"), assetID)
	if err != nil {
		log.Fatal(err)
	}
	wrappedKey, err := gm.Encrypt(&recipient.PublicKey, dataKey)
	if err != nil {
		log.Fatal(err)
	}

	// Recipient.
	key, err := gm.Decrypt(recipient, wrappedKey)
	if err != nil {
		log.Fatal(err)
	}
	content, err := gm.OpenGCM(key, sealed, assetID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(content))
	// Output: articles of association
}

func ExampleSign() {
	priv, err := gm.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	msg := []byte(`{"asset":"91370100MA3C000000","action":"approve"}`)
	sig, err := gm.Sign(priv, msg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(gm.Verify(&priv.PublicKey, msg, sig))
	// Output: true
}

func ExampleCommitment() {
	// In production the salt comes from gm.NewSalt and stays off chain.
	salt := []byte("0123456789abcdef")
	idNumber := []byte("370102199001011234")

	onChain := gm.Commitment(salt, idNumber)
	fmt.Println(onChain)
	fmt.Println(gm.VerifyCommitment(salt, idNumber, onChain))
	fmt.Println(gm.VerifyCommitment(salt, []byte("370102199001011235"), onChain))
	// Output:
	// e6e5743d20b428cfc9c121c26b493e9f56e1bedc3bea7c89b932943f682f64cf
	// true
	// false
}
