// Package consortium describes a Kaiban consortium chain on Hyperledger
// Fabric and the directory that holds it: the organisations (the platform
// operator, the government departments, the ordering organisation), their
// nodes and ports, the channels and chaincodes (Spec, kept in network.yaml),
// and everything kaiban-net init writes beside it from the Spec — crypto
// material in Fabric's cryptogen layout, core.yaml and orderer.yaml for each
// node, the CCaaS external builder, connection profiles for kaiban and a
// docker compose file.
//
// The directory is meant to be read by an ops team and kept in version
// control: every file but the private keys and var/ (ledgers, logs, process
// IDs) is deterministic given the Spec and the certificates, and every path
// inside a node's configuration is relative, so the same tree works on any
// machine and inside the official Fabric images.
//
//	network.yaml                  the Spec
//	organizations/                crypto material (package cryptogen)
//	nodes/<host>/core.yaml        peer configuration (FABRIC_CFG_PATH of the peer)
//	nodes/<host>/orderer.yaml     orderer configuration
//	builders/ccaas/bin/           chaincode-as-a-service external builder
//	channels/<channel>.block      application channel genesis blocks
//	chaincode/<label>.tar.gz      CCaaS chaincode packages
//	connection/<MSPID>.yaml       the fabric section of kaiban's configuration, per org
//	members/<MSPID>/              each member's SM2 platform key
//	docker-compose.fabric.yaml    the network as containers (runtime docker)
//	var/                          ledgers, logs and process IDs (not for version control)
package consortium
