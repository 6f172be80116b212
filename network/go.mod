module github.com/kaiban-platform/kaiban/network

go 1.26.0

require github.com/kaiban-platform/kaiban/chaincode v0.0.0

require (
	filippo.io/nistec v0.0.4 // indirect
	github.com/emmansun/gmsm v0.44.0 // indirect
	github.com/hyperledger/fabric-admin-sdk v0.2.0 // indirect
	github.com/hyperledger/fabric-config v0.3.0 // indirect
	github.com/hyperledger/fabric-gateway v1.12.0 // indirect
	github.com/hyperledger/fabric-protos-go-apiv2 v0.3.7 // indirect
	github.com/prometheus/client_golang v1.25.0 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	go.yaml.in/yaml/v3 v3.0.4 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/grpc v1.85.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/kaiban-platform/kaiban/chaincode => ../chaincode
