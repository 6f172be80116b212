// Package launch starts a contract the way its deployment asks: as a
// chaincode-as-a-service gRPC server when CHAINCODE_SERVER_ADDRESS and
// CHAINCODE_ID are set (the external-builder convention of fabric-samples),
// otherwise as a classic chaincode that dials its peer through shim.Start.
//
// contractapi's own Start reads CORE_CHAINCODE_ID_NAME instead of
// CHAINCODE_ID, which the CCaaS packages that kaiban-net builds do not set;
// this package reads the names the issue and fabric-samples use.
package launch

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-contract-api-go/v2/serializer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Environment variables read by Config.
const (
	EnvAddress     = "CHAINCODE_SERVER_ADDRESS" // listen address, e.g. 0.0.0.0:9999
	EnvID          = "CHAINCODE_ID"             // package ID the peer knows the chaincode by
	EnvTLSDisabled = "CHAINCODE_TLS_DISABLED"   // "false" turns TLS on (default: off)
	EnvTLSKey      = "CHAINCODE_TLS_KEY"        // PEM file of the server's TLS key
	EnvTLSCert     = "CHAINCODE_TLS_CERT"       // PEM file of the server's TLS certificate
	EnvClientCA    = "CHAINCODE_CLIENT_CA_CERT" // PEM file of the CA for peer client certificates (mutual TLS)
)

// Config says how to serve a chaincode. A zero Address means classic mode.
type Config struct {
	Address string
	ID      string
	TLS     shim.TLSProperties
}

// FromEnv reads Config from the environment through getenv (os.Getenv in
// production) and reads the TLS files it names.
func FromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{Address: getenv(EnvAddress), ID: getenv(EnvID), TLS: shim.TLSProperties{Disabled: true}}
	if (cfg.Address == "") != (cfg.ID == "") {
		return Config{}, fmt.Errorf("set both %s and %s to serve as a service, or neither", EnvAddress, EnvID)
	}
	if cfg.Address == "" {
		return cfg, nil
	}
	if v := getenv(EnvTLSDisabled); v != "" {
		disabled, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s=%q is not a boolean", EnvTLSDisabled, v)
		}
		cfg.TLS.Disabled = disabled
	}
	if cfg.TLS.Disabled {
		return cfg, nil
	}
	var err error
	if cfg.TLS.Key, err = readFile(getenv, EnvTLSKey, true); err != nil {
		return Config{}, err
	}
	if cfg.TLS.Cert, err = readFile(getenv, EnvTLSCert, true); err != nil {
		return Config{}, err
	}
	if cfg.TLS.ClientCACerts, err = readFile(getenv, EnvClientCA, false); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func readFile(getenv func(string) string, name string, required bool) ([]byte, error) {
	path := getenv(name)
	if path == "" {
		if required {
			return nil, fmt.Errorf("TLS is on but %s is not set", name)
		}
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// Run builds the chaincode from contract and opts and serves it as cfg says;
// it returns only when serving stops.
func Run(contract contractapi.ContractInterface, cfg Config, opts ...Option) error {
	cc, err := NewChaincode(contract, opts...)
	if err != nil {
		return fmt.Errorf("build chaincode: %w", err)
	}
	if cfg.Address == "" {
		return shim.Start(cc)
	}
	server := &shim.ChaincodeServer{CCID: cfg.ID, Address: cfg.Address, CC: cc, TLSProps: cfg.TLS}
	if err := server.Start(); err != nil {
		return fmt.Errorf("serve chaincode %s on %s: %w", cfg.ID, cfg.Address, err)
	}
	return errors.New("chaincode server stopped")
}

// trustedSerializer is contractapi's JSON serializer without the JSON-schema
// pass. Kaiban's contracts take their requests as strings that model.Decode
// parses strictly, and return model structs, so the schema check would only
// re-validate the contract's own output — at a cost of most of a
// transaction's chaincode time (gojsonschema, once per call and once per
// cross-chaincode call). The metadata, schemas included, is still published.
type trustedSerializer struct{ serializer.JSONSerializer }

func (s *trustedSerializer) FromString(param string, t reflect.Type, _ *metadata.ParameterMetadata, c *metadata.ComponentMetadata) (reflect.Value, error) {
	return s.JSONSerializer.FromString(param, t, nil, c)
}

func (s *trustedSerializer) ToString(v reflect.Value, t reflect.Type, _ *metadata.ReturnMetadata, c *metadata.ComponentMetadata) (string, error) {
	return s.JSONSerializer.ToString(v, t, nil, c)
}

// NewChaincode builds the chaincode of a Kaiban contract, as every
// deployment and test must, with the serializer described above and the
// queries opts add.
func NewChaincode(contract contractapi.ContractInterface, opts ...Option) (shim.Chaincode, error) {
	cc, err := contractapi.NewChaincode(contract)
	if err != nil {
		return nil, err
	}
	cc.TransactionSerializer = &trustedSerializer{}
	if len(opts) == 0 {
		return cc, nil
	}
	c := &chaincode{ContractChaincode: cc, queries: map[string]Query{}}
	for _, opt := range opts {
		opt(c)
	}
	return c, nil
}

// Query is a read-only function of a contract that takes one string argument
// and uses nothing of the transaction but its state reads: not the caller's
// identity, transient data or events. On success it returns the JSON of its
// answer, as contractapi's serializer encodes the contract method's result;
// the bytes are sent as they are and never modified.
type Query func(stub shim.ChaincodeStubInterface, arg string) ([]byte, error)

// Option adds to the chaincode NewChaincode builds.
type Option func(*chaincode)

// WithQuery serves function with q ahead of contractapi when it is called by
// its bare name with exactly one argument, and answers as contractapi does:
// q's JSON, or its error's text with status 500. Other calls of it
// (namespaced, another argument count) go to contractapi as before.
//
// contractapi parses the caller's X.509 certificate on every invocation, and
// calls the function by reflection after scanning the contract's metadata.
// For the directory queries that other chaincodes make by InvokeChaincode in
// nearly every transaction, that is most of their cost and none of their
// answer.
func WithQuery(function string, q Query) Option {
	return func(c *chaincode) { c.queries[function] = q }
}

// chaincode is a contractapi chaincode with queries served ahead of it.
type chaincode struct {
	*contractapi.ContractChaincode
	queries map[string]Query
}

// Invoke serves a query added by WithQuery, and hands every other call to
// contractapi.
func (c *chaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, params := stub.GetFunctionAndParameters()
	q, ok := c.queries[fn]
	if !ok || len(params) != 1 {
		return c.ContractChaincode.Invoke(stub)
	}
	out, err := q(stub, params[0])
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(out)
}
