// Package cryptogen generates and loads the crypto material of a Fabric
// network in the directory layout of Fabric's cryptogen tool:
//
//	organizations/peerOrganizations/<domain>/
//	    ca/      ca.<domain>-cert.pem, priv_sk        (signing CA)
//	    tlsca/   tlsca.<domain>-cert.pem, priv_sk     (TLS CA)
//	    msp/     cacerts/ tlscacerts/ admincerts/ config.yaml
//	    peers/peer0.<domain>/{msp,tls}
//	    users/Admin@<domain>/{msp,tls}
//	organizations/ordererOrganizations/<domain>/ (same, with orderers/)
//
// Keys are ECDSA P-256, private keys PKCS#8 PEM in keystore/priv_sk, and every
// MSP folder carries a NodeOUs config.yaml so that the OU of a certificate
// (client, peer, admin, orderer) gives the identity its role. Users may carry
// Fabric CA style attributes (extension 1.2.3.4.5.6.7.8.1 holding
// {"attrs":{...}}), which chaincode reads with pkg/cid.
//
// devnet writes its material with Generate on first start; kaiban-net reuses
// the same package for real networks.
package cryptogen
