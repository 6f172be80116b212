package devnet_test

import (
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/kaiban-platform/kaiban/network/devnet"
)

// kvContract is a tiny chaincode for tests that need no Kaiban business rules.
type kvContract struct{ contractapi.Contract }

// Put writes key and emits a "put" event carrying key=value.
func (kvContract) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	if err := ctx.GetStub().PutState(key, []byte(value)); err != nil {
		return err
	}
	return ctx.GetStub().SetEvent("put", []byte(key+"="+value))
}

// Get reads key.
func (kvContract) Get(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	v, err := ctx.GetStub().GetState(key)
	if err != nil {
		return "", err
	}
	if v == nil {
		return "", fmt.Errorf("key %s not found", key)
	}
	return string(v), nil
}

// Incr reads key as a number and writes it back plus one: a read-modify-write.
func (kvContract) Incr(ctx contractapi.TransactionContextInterface, key string) (int, error) {
	v, err := ctx.GetStub().GetState(key)
	if err != nil {
		return 0, err
	}
	n, _ := strconv.Atoi(string(v))
	n++
	return n, ctx.GetStub().PutState(key, []byte(strconv.Itoa(n)))
}

// Count counts keys in [start, end): a range read for phantom checks.
func (kvContract) Count(ctx contractapi.TransactionContextInterface, start, end string) (int, error) {
	it, err := ctx.GetStub().GetStateByRange(start, end)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// Private reads private data, which devnet does not have.
func (kvContract) Private(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	v, err := ctx.GetStub().GetPrivateData("collection", key)
	return string(v), err
}

// Rich runs a CouchDB query, which devnet does not have.
func (kvContract) Rich(ctx contractapi.TransactionContextInterface, query string) error {
	_, err := ctx.GetStub().GetQueryResult(query)
	return err
}

// Fail always fails.
func (kvContract) Fail(ctx contractapi.TransactionContextInterface) error {
	return errors.New("failed on purpose")
}

func kvChaincode(t testing.TB) shim.Chaincode {
	t.Helper()
	cc, err := contractapi.NewChaincode(&kvContract{})
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// startNetwork starts a devnet in a temporary directory with small, fast settings.
func startNetwork(t testing.TB, mutate ...func(*devnet.Config)) *devnet.Network {
	t.Helper()
	cfg := devnet.Config{
		Dir:          t.TempDir(),
		Listen:       "127.0.0.1:0",
		OpsListen:    "127.0.0.1:0",
		Chaincodes:   map[string]shim.Chaincode{"kv": kvChaincode(t)},
		BatchSize:    50,
		BatchTimeout: 50 * time.Millisecond,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	n, err := devnet.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// dial opens a gRPC connection to the network, over TLS when it serves TLS.
func dial(t testing.TB, n *devnet.Network) *grpc.ClientConn {
	t.Helper()
	creds := insecure.NewCredentials()
	if tc := n.ClientTLSConfig(); tc != nil {
		creds = credentials.NewTLS(tc)
	}
	conn, err := grpc.NewClient(n.Addr(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// connectAs connects the unmodified fabric-gateway client as cert/key of mspID.
func connectAs(t testing.TB, conn *grpc.ClientConn, mspID string, cert *x509.Certificate, key *ecdsa.PrivateKey) *client.Gateway {
	t.Helper()
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		t.Fatal(err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(10*time.Second), client.WithEndorseTimeout(10*time.Second),
		client.WithSubmitTimeout(10*time.Second), client.WithCommitStatusTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	return gw
}

// connect connects as a generated user of an organisation.
func connect(t testing.TB, n *devnet.Network, mspID, user string) *client.Gateway {
	t.Helper()
	id, err := n.User(mspID, user)
	if err != nil {
		t.Fatal(err)
	}
	return connectAs(t, dial(t, n), mspID, id.Cert, id.Key)
}
