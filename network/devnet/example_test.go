package devnet_test

import (
	"fmt"
	"os"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/kaiban-platform/kaiban/network/devnet"
)

// Example embeds a devnet in a program and uses it through the unmodified
// fabric-gateway client, exactly as against a Fabric network.
func Example() {
	dir, _ := os.MkdirTemp("", "devnet-example-")
	defer os.RemoveAll(dir)
	kv, _ := contractapi.NewChaincode(&kvContract{})
	n, err := devnet.Start(devnet.Config{
		Dir:          dir,
		Listen:       "127.0.0.1:0",
		OpsListen:    "-",
		Chaincodes:   map[string]shim.Chaincode{"kv": kv},
		BatchTimeout: 50 * time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()

	user, _ := n.User("MarketMSP", "User1")
	id, _ := identity.NewX509Identity("MarketMSP", user.Cert)
	sign, _ := identity.NewPrivateKeySign(user.Key)
	conn, _ := grpc.NewClient(n.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer conn.Close()
	gw, _ := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
	defer gw.Close()

	contract := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv")
	if _, err := contract.SubmitTransaction("Put", "licence", "issued"); err != nil {
		fmt.Println(err)
		return
	}
	value, err := contract.EvaluateTransaction("Get", "licence")
	fmt.Println(string(value), err)
	// Output: issued <nil>
}
