module github.com/kaiban-platform/kaiban/chaincode

go 1.26

require (
	github.com/emmansun/gmsm v0.44.0 // indirect
	github.com/hyperledger/fabric-chaincode-go/v2 v2.3.0 // indirect
	github.com/hyperledger/fabric-contract-api-go/v2 v2.2.0 // indirect
	github.com/hyperledger/fabric-protos-go-apiv2 v0.3.7 // indirect
	golang.org/x/crypto v0.53.0 // indirect
)
